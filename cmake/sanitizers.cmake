# POOLSCOPE_SANITIZE: the sanitizers the whole tree is built with, for the asan and tsan test
# trees (.ci/sanitizers.sh). A comma-separated list of address, undefined and thread; thread
# cannot be combined with address. The flags go on every target, poolcore and the worker
# programs included: a worker is forked from, or spawned as, one of this tree's programs, so it
# carries the same instrumentation as the parent.
#
#   CC=clang-14 CXX=clang++-14 cmake -B build-asan -DPOOLSCOPE_SANITIZE=address,undefined
#   CC=clang-14 CXX=clang++-14 cmake -B build-tsan -DPOOLSCOPE_SANITIZE=thread
#
# clang is the compiler these trees are meant for (g++ works too): the fuzzers need it anyway,
# so one compiler builds all three, and its UBSan has the checks g++ lacks (implicit-conversion
# aside, -fsanitize=function and a vptr check that needs no -frtti extras).
if(NOT POOLSCOPE_SANITIZE)
    return()
endif()
if(NOT CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    message(FATAL_ERROR "POOLSCOPE_SANITIZE needs clang or g++ (this is ${CMAKE_CXX_COMPILER_ID})")
endif()
string(REPLACE "," ";" poolscope_sanitizers "${POOLSCOPE_SANITIZE}")
foreach(s ${poolscope_sanitizers})
    if(NOT s MATCHES "^(address|undefined|thread)$")
        message(FATAL_ERROR "POOLSCOPE_SANITIZE: '${s}' is not one of address, undefined, thread")
    endif()
endforeach()
if("thread" IN_LIST poolscope_sanitizers AND "address" IN_LIST poolscope_sanitizers)
    message(FATAL_ERROR "POOLSCOPE_SANITIZE: thread and address cannot be combined")
endif()

# -O1 and line tables only, whatever the build type: these trees exist to run the tests under
# the sanitizers, and build in about half the time of -O2 -g with stack traces still naming
# every file and line.
set(poolscope_sanitize_flags -fsanitize=${POOLSCOPE_SANITIZE} -fno-omit-frame-pointer -O1)
if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    list(APPEND poolscope_sanitize_flags -gline-tables-only)
else()
    list(APPEND poolscope_sanitize_flags -g1)
endif()
if("undefined" IN_LIST poolscope_sanitizers)
    # Any UBSan report ends the process (as an ASan one does), so that it fails its test.
    list(APPEND poolscope_sanitize_flags -fno-sanitize-recover=all)
endif()
add_compile_options(${poolscope_sanitize_flags})
add_link_options(${poolscope_sanitize_flags})
message(STATUS "Sanitizers: ${POOLSCOPE_SANITIZE}")

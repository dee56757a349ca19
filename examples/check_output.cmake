# SPDX-License-Identifier: MIT
# Runs PROGRAM and passes when it exits with 0 and its output matches each regular expression
# of EXPECT (a list), in that order. ctest's PASS_REGULAR_EXPRESSION alone would ignore the
# exit code, and an example that fails must fail its test.
#   cmake -DPROGRAM=<file> "-DEXPECT=<regex>@@<regex>" -P check_output.cmake
string(REPLACE "@@" ";" EXPECT "${EXPECT}")
execute_process(COMMAND ${PROGRAM} OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc
                TIMEOUT 100)
message("${out}")
if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${PROGRAM} exited with ${rc}:\n${err}")
endif()
set(rest "${out}")
foreach(expect IN LISTS EXPECT)
    string(REGEX MATCH "${expect}" found "${rest}")
    if(found STREQUAL "")
        message(FATAL_ERROR "${PROGRAM}: no line matches '${expect}' (in order) in:\n${out}")
    endif()
    string(FIND "${rest}" "${found}" at)
    string(LENGTH "${found}" length)
    math(EXPR after "${at} + ${length}")
    string(SUBSTRING "${rest}" ${after} -1 rest)
endforeach()

# The tests of a sanitizer tree (POOLSCOPE_SANITIZE, see cmake/sanitizers.cmake), run by
# .ci/sanitizers.sh:
#   asan  (address,undefined): every quick, pool and gui test, plus headless runs of the app with
#         counts far above every internal window (the load window, the decoder's and channels'
#         buffers, the latency sample), for both pools and both loops.
#   tsan  (thread): the thread-driven pool (BlockingPool, and the behavioural suite's threads
#         rows), the Qt event loop, and headless --pool blocking runs.
# Every test runs under sanitizers/run_sanitized.sh, which fails it on any report written by it
# or by any process it started (workers, the forkserver, the app). Any report halts its process
# (halt_on_error=1 for all three, and -fno-sanitize-recover=all for UBSan).
#
# Outside a sanitizer tree this file only sets the empty launcher.
set(poolscope_test_launcher "")
set(poolscope_sanitizer_label "")
if(NOT POOLSCOPE_SANITIZE)
    function(poolscope_sanitize_test name labels)
    endfunction()
    return()
endif()

set(poolscope_test_launcher ${CMAKE_CURRENT_SOURCE_DIR}/sanitizers/run_sanitized.sh)
if(POOLSCOPE_SANITIZE MATCHES "address")
    set(poolscope_sanitizer_label asan)
elseif(POOLSCOPE_SANITIZE MATCHES "thread")
    set(poolscope_sanitizer_label tsan)
else()
    set(poolscope_sanitizer_label ubsan)
endif()

# Options every test of the tree gets; tests that need more append their own.
set(poolscope_sanitizer_environment
    "ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:check_initialization_order=1:strict_init_order=1"
    "UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1"
    "LSAN_OPTIONS=suppressions=${CMAKE_CURRENT_SOURCE_DIR}/sanitizers/lsan.supp"
    "TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:suppressions=${CMAKE_CURRENT_SOURCE_DIR}/sanitizers/tsan.supp")

# Left out of the asan label: test_pool_environment runs the pool and the app out of descriptors
# on purpose, and UBSan's vptr check then reports every virtual call (std::error_category,
# poolcore::PollLoop) as an "invalid vptr": the runtime probes whether the object's memory is
# readable by writing it into a pipe, which it cannot create (sanitizer_common's
# IsAccessibleMemoryRange), and such a report cannot be suppressed. The test runs in the main
# build (label pool), and the other pool tests cover the same code under ASan and UBSan.
set(poolscope_asan_excluded_tests test_pool_environment)

# What the tsan tree runs: the programs whose threads are the point.
set(poolscope_tsan_tests test_blocking_submit test_qt_event_loop test_pool_lifecycle
    test_load_driver)

# What the label needs and no more (.ci/sanitizers.sh builds only this): the selected tests'
# programs, the app and the worker program.
add_custom_target(sanitizer_tests)
add_dependencies(sanitizer_tests poolscope poolscope-worker)

# Called by poolscope_add_test for each test it adds.
function(poolscope_sanitize_test name labels)
    set(selected FALSE)
    if(poolscope_sanitizer_label STREQUAL "tsan")
        if(name IN_LIST poolscope_tsan_tests)
            set(selected TRUE)
        endif()
    elseif(NOT name IN_LIST poolscope_asan_excluded_tests)
        foreach(l quick pool gui)
            if(l IN_LIST labels)
                set(selected TRUE)
            endif()
        endforeach()
    endif()
    if(selected)
        set_property(TEST ${name} APPEND PROPERTY LABELS ${poolscope_sanitizer_label})
        add_dependencies(sanitizer_tests ${name})
    endif()
    set_property(TEST ${name} APPEND PROPERTY ENVIRONMENT ${poolscope_sanitizer_environment})
endfunction()

# The canaries (sanitizers/sanitizer_canary.cpp): each plants one defect and passes only when
# its report is named, so a tree whose suppressions or launcher hid reports would fail here.
add_executable(sanitizer_canary sanitizers/sanitizer_canary.cpp)
target_link_libraries(sanitizer_canary PRIVATE Qt6::Test)
add_dependencies(sanitizer_tests sanitizer_canary)
function(poolscope_add_canary name test_function expected_report)
    add_test(NAME ${name} COMMAND ${poolscope_test_launcher} $<TARGET_FILE:sanitizer_canary>
                                  ${test_function})
    set_tests_properties(${name} PROPERTIES LABELS "${poolscope_sanitizer_label}" TIMEOUT 120
        ENVIRONMENT "${poolscope_sanitizer_environment}"
        PASS_REGULAR_EXPRESSION "${expected_report}.*FAIL: [0-9]+ sanitizer report")
endfunction()
if(poolscope_sanitizer_label STREQUAL "tsan")
    poolscope_add_canary(sanitizer_canary_data_race aDataRaceInATestFunction
        "ThreadSanitizer: data race")
else()
    poolscope_add_canary(sanitizer_canary_child_use_after_free aUseAfterFreeInAChildProcess
        "AddressSanitizer: heap-use-after-free")
    poolscope_add_canary(sanitizer_canary_leak aLeak "LeakSanitizer: detected memory leaks")
endif()

# poolscope_add_headless_run(NAME <name> COUNT <jobs> ARGS <poolscope options...>)
function(poolscope_add_headless_run)
    cmake_parse_arguments(R "" "NAME;COUNT" "ARGS" ${ARGN})
    add_test(NAME ${R_NAME}
        COMMAND ${poolscope_test_launcher} ${CMAKE_CURRENT_SOURCE_DIR}/sanitizers/headless_load.sh
                $<TARGET_FILE:poolscope> ${R_COUNT} ${R_ARGS})
    set_tests_properties(${R_NAME} PROPERTIES LABELS ${poolscope_sanitizer_label} TIMEOUT 900
        ENVIRONMENT "${poolscope_sanitizer_environment}")
endfunction()

# 50,000 jobs: far past the load window (1,024 at least), so that refills, the bounded latency
# sample and the channels' buffers all wrap many times; a 4 KiB payload crosses the decoder's
# buffer growth. fcfs with prefetch keeps several jobs in each worker's channel at once.
if(poolscope_sanitizer_label STREQUAL "tsan")
    poolscope_add_headless_run(NAME headless_blocking_tsan COUNT 20000 ARGS --pool blocking)
    poolscope_add_headless_run(NAME headless_blocking_fcfs_tsan COUNT 20000
        ARGS --pool blocking --strategy fcfs --prefetch 8 --payload 4096)
    poolscope_add_headless_run(NAME headless_blocking_spawn_tsan COUNT 5000
        ARGS --pool blocking --start-method spawn --processes 4)
else()
    foreach(start forkserver spawn fork)
        poolscope_add_headless_run(NAME headless_async_${start}_${poolscope_sanitizer_label}
            COUNT 50000 ARGS --pool async --start-method ${start} --processes 4)
    endforeach()
    poolscope_add_headless_run(NAME headless_async_qt_loop_${poolscope_sanitizer_label}
        COUNT 50000 ARGS --pool async --loop qt --processes 4)
    poolscope_add_headless_run(NAME headless_async_fcfs_${poolscope_sanitizer_label}
        COUNT 50000 ARGS --pool async --strategy fcfs --prefetch 8 --payload 4096)
    poolscope_add_headless_run(NAME headless_blocking_${poolscope_sanitizer_label}
        COUNT 50000 ARGS --pool blocking --processes 4)
    poolscope_add_headless_run(NAME headless_blocking_fcfs_${poolscope_sanitizer_label}
        COUNT 50000 ARGS --pool blocking --strategy fcfs --prefetch 8 --payload 4096)
    # Workers recycled every 50 jobs, a thousand times over: starts and exits under load.
    poolscope_add_headless_run(NAME headless_async_recycling_${poolscope_sanitizer_label}
        COUNT 20000 ARGS --pool async --max-tasks-per-child 50 --task noop --task echo=x)
endif()

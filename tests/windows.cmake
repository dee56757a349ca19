# SPDX-License-Identifier: MIT
# The `windows` label: poolcore's Windows backend, cross-compiled with mingw-w64 and run under
# wine64, driven from this (Linux) build tree. windows_cross_build makes the cross tree and the
# wine prefix; each case of tests/windows/windows_driver.cpp is then one test. All of them skip
# with the reason when mingw-w64 or wine64 is missing (.ci/windows.sh installs both).
set(windows_script ${CMAKE_CURRENT_SOURCE_DIR}/windows/run_windows_tests.sh)
set(windows_cross_dir ${CMAKE_BINARY_DIR}/windows-cross)

add_test(NAME windows_cross_build
    COMMAND bash ${windows_script} build ${PROJECT_SOURCE_DIR} ${windows_cross_dir}
            ${CMAKE_GENERATOR})
set_tests_properties(windows_cross_build PROPERTIES
    LABELS windows TIMEOUT 1200 SKIP_RETURN_CODE 77 FIXTURES_SETUP windows_cross
    RESOURCE_LOCK windows_cross)

# The driver's cases, as `windows_driver.exe --list` names them (it refuses a name it lacks).
set(windows_cases
    jobs_succeed
    crash_is_lost_with_exit_code_named
    hard_limit_kills_and_replaces
    soft_limit_is_honoured
    recycles_by_count
    recycles_by_memory
    restart_replaces_every_worker
    grows_and_shrinks
    unknown_task_is_an_error
    verbs_have_distinct_exit_codes
    fork_is_refused
    worker_holds_only_its_channel
    killed_parent_leaves_no_worker)
foreach(case IN LISTS windows_cases)
    add_test(NAME windows_${case}
        COMMAND bash ${windows_script} run ${windows_cross_dir} ${case})
    set_tests_properties(windows_${case} PROPERTIES
        LABELS windows TIMEOUT 300 SKIP_RETURN_CODE 77 FIXTURES_REQUIRED windows_cross)
endforeach()

# The desktop app's sources compiled for Windows against Debian's Qt headers, and every poolcore
# symbol they need found in the cross-built poolcore (windows/check_app_sources.py says what this
# shows and what only the Windows workflow can).
find_package(Python3 COMPONENTS Interpreter)
if(Python3_FOUND AND TARGET poolscope_ui)
    add_test(NAME windows_app_sources
        COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_SOURCE_DIR}/windows/check_app_sources.py
                ${PROJECT_SOURCE_DIR} ${CMAKE_BINARY_DIR} ${windows_cross_dir})
    set_tests_properties(windows_app_sources PROPERTIES
        LABELS windows TIMEOUT 900 SKIP_RETURN_CODE 77 FIXTURES_REQUIRED windows_cross)
endif()

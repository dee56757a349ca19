# Issue 12, fault injection and per-worker facts, and the defects found by trying the window.
poolscope_add_test(NAME test_worker_facts SOURCES test_worker_facts.cpp pool_harness.h
    process_util.h LIBS poolcore_internals pool_test_tasks LABELS pool TIMEOUT 600)
target_compile_definitions(test_worker_facts PRIVATE
    POOLSCOPE_WORKER_PROGRAM="$<TARGET_FILE:poolscope-worker>")
add_dependencies(test_worker_facts poolscope-worker)
if(TARGET poolscope_ui)
    poolscope_add_test(NAME test_debugger_defects SOURCES test_debugger_defects.cpp
        gui_test_util.h process_util.h LIBS poolscope_ui LABELS gui TIMEOUT 300)
endif()
if(TARGET test_debugger_defects)
    target_compile_definitions(test_debugger_defects PRIVATE POOLSCOPE_VERSION="${PROJECT_VERSION}")
endif()

# SPDX-License-Identifier: GPL-3.0-or-later
# The monitor socket (issue 14, part 1): a real service in another process, real sockets.
poolscope_add_test(NAME test_attach SOURCES test_attach.cpp LIBS poolcore
    LABELS pool attach TIMEOUT 900)
target_compile_definitions(test_attach PRIVATE
    MONITORED_SERVICE="$<TARGET_FILE:example_monitored_service>"
    POOLSCOPE_APP="$<TARGET_FILE:poolscope>")
add_dependencies(test_attach example_monitored_service poolscope poolscope-worker)
# The window attached to such a service (the viewer's side): offscreen, real processes.
if(TARGET poolscope_ui)
    poolscope_add_test(NAME test_attach_window SOURCES test_attach_window.cpp gui_test_util.h
        LIBS poolscope_ui LABELS attach gui TIMEOUT 600)
    target_compile_definitions(test_attach_window PRIVATE
        MONITORED_SERVICE="$<TARGET_FILE:example_monitored_service>"
        POOLSCOPE_APP="$<TARGET_FILE:poolscope>")
    add_dependencies(test_attach_window example_monitored_service poolscope poolscope-worker)
endif()

# SPDX-License-Identifier: GPL-3.0-or-later
# The monitor socket (issue 14, part 1): a real service in another process, real sockets.
# The service is examples/monitored_service.cpp; a tree built without the examples (the
# sanitizer trees) builds it here, so the attach tests run there too.
if(NOT POOLSCOPE_BUILD_EXAMPLES)
    add_executable(example_monitored_service ${PROJECT_SOURCE_DIR}/examples/monitored_service.cpp)
    target_link_libraries(example_monitored_service PRIVATE poolcore::poolcore)
    set_target_properties(example_monitored_service PROPERTIES AUTOMOC OFF AUTOUIC OFF AUTORCC OFF)
endif()
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

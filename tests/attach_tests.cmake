# SPDX-License-Identifier: GPL-3.0-or-later
# The monitor socket (issue 14, part 1): a real service in another process, real sockets.
poolscope_add_test(NAME test_attach SOURCES test_attach.cpp LIBS poolcore
    LABELS pool attach TIMEOUT 900)
target_compile_definitions(test_attach PRIVATE
    MONITORED_SERVICE="$<TARGET_FILE:example_monitored_service>"
    POOLSCOPE_APP="$<TARGET_FILE:poolscope>")
add_dependencies(test_attach example_monitored_service poolscope poolscope-worker)

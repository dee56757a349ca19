# SPDX-License-Identifier: MIT
# The `docs` target: poolcore's API reference from its public headers, with Doxygen when it is
# installed (Debian: doxygen). Optional: no default build needs it. Doxygen's warnings, an
# undocumented public class or function among them, fail the target. The target is
# poolcore_docs, so that it cannot clash with an embedder's own; `docs` too when poolcore is
# the top-level project (Poolscope makes its `docs` from it).
find_package(Doxygen QUIET)
if(DOXYGEN_FOUND)
    configure_file(cmake/Doxyfile.in ${CMAKE_CURRENT_BINARY_DIR}/Doxyfile @ONLY)
    add_custom_target(poolcore_docs
        COMMAND ${CMAKE_COMMAND} -E rm -rf ${CMAKE_CURRENT_BINARY_DIR}/docs
        COMMAND Doxygen::doxygen ${CMAKE_CURRENT_BINARY_DIR}/Doxyfile
        WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}
        COMMENT "poolcore API reference in ${CMAKE_CURRENT_BINARY_DIR}/docs/html"
        VERBATIM)
    if(PROJECT_IS_TOP_LEVEL)
        add_custom_target(docs DEPENDS poolcore_docs)
    endif()
endif()

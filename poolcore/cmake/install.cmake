# SPDX-License-Identifier: MIT
# What `cmake --install` puts where: the library, the public headers (include/poolcore/ and the
# generated version.h, nothing of src/), a CMake package with its version file, and poolcore.pc.
# All of it is the libpoolcore-dev component, which the packaging turns into that package.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(poolcore_component libpoolcore-dev)
set(poolcore_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/poolcore)

install(TARGETS poolcore EXPORT poolcoreTargets
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT ${poolcore_component}
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT ${poolcore_component}
            NAMELINK_COMPONENT ${poolcore_component}
    RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT ${poolcore_component}
    INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY include/poolcore ${CMAKE_CURRENT_BINARY_DIR}/include/poolcore
    DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT ${poolcore_component}
    FILES_MATCHING PATTERN "*.h")
install(EXPORT poolcoreTargets NAMESPACE poolcore:: DESTINATION ${poolcore_cmake_dir}
    COMPONENT ${poolcore_component})

configure_package_config_file(cmake/poolcoreConfig.cmake.in
    ${CMAKE_CURRENT_BINARY_DIR}/poolcoreConfig.cmake INSTALL_DESTINATION ${poolcore_cmake_dir})
# 0.x: a minor release may break the API, so 0.2 accepts 0.2.x only; from 1.0 on, the major.
if(PROJECT_VERSION_MAJOR EQUAL 0)
    set(poolcore_compatibility SameMinorVersion)
else()
    set(poolcore_compatibility SameMajorVersion)
endif()
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/poolcoreConfigVersion.cmake
    VERSION ${PROJECT_VERSION} COMPATIBILITY ${poolcore_compatibility})
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/poolcoreConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/poolcoreConfigVersion.cmake
    DESTINATION ${poolcore_cmake_dir} COMPONENT ${poolcore_component})

# The .pc file finds its prefix from where it lies, so an install moved elsewhere (a package
# root, a temporary prefix) still points at its own headers and library.
file(RELATIVE_PATH poolcore_pc_prefix_from_pcdir
    /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
string(REGEX REPLACE "/$" "" poolcore_pc_prefix_from_pcdir "${poolcore_pc_prefix_from_pcdir}")
# A static library carries no record of what it needs: `pkg-config --libs` must name the thread
# library itself. A shared one records it, so it is private there.
if(POOLCORE_SHARED)
    set(poolcore_pc_libs_extra "")
    set(poolcore_pc_libs_private "Libs.private: -pthread\n")
else()
    set(poolcore_pc_libs_extra " -pthread")
    set(poolcore_pc_libs_private "")
endif()
configure_file(cmake/poolcore.pc.in ${CMAKE_CURRENT_BINARY_DIR}/poolcore.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/poolcore.pc
    DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT ${poolcore_component})

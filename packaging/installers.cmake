# What a macOS disk image and a Windows installer carry beyond the programs (which
# packaging/app_bundle.cmake installs), and the CPack generators that make them. Included by
# packaging/CMakeLists.txt on those platforms only; the Linux packages' files are in
# linux_files.cmake. Built by the workflows in .github/workflows/, not on the Linux machines
# that run .ci/run (README, "Platforms").
if(APPLE)
    set(poolscope_docs_destination poolscope.app/Contents/Resources)
else()
    set(poolscope_docs_destination .)
endif()
install(FILES ${PROJECT_SOURCE_DIR}/LICENSE ${PROJECT_SOURCE_DIR}/README.md
              ${PROJECT_SOURCE_DIR}/CHANGELOG.md
        DESTINATION ${poolscope_docs_destination} COMPONENT ${app_component})

# A macro: the CPACK_ variables land in packaging/CMakeLists.txt's scope, where include(CPack)
# reads them.
macro(poolscope_installer_generators)
    # The app only: an embedder builds poolcore from source or a Linux package.
    set(packaged_components ${app_component})
    set(CPACK_COMPONENTS_ALL ${app_component})
    set(CPACK_PACKAGE_FILE_NAME "Poolscope-${PROJECT_VERSION}-${CMAKE_SYSTEM_NAME}")
    if(APPLE)
        set(CPACK_GENERATOR DragNDrop)
        set(CPACK_DMG_VOLUME_NAME "Poolscope ${PROJECT_VERSION}")
        set(CPACK_DMG_FORMAT UDZO)
        # One image with the bundle and nothing else at its top.
        set(CPACK_COMPONENTS_GROUPING ALL_COMPONENTS_IN_ONE)
    else()
        set(CPACK_GENERATOR NSIS)
        set(CPACK_NSIS_PACKAGE_NAME "Poolscope")
        set(CPACK_NSIS_DISPLAY_NAME "Poolscope ${PROJECT_VERSION}")
        set(CPACK_PACKAGE_INSTALL_DIRECTORY "Poolscope")
        set(CPACK_NSIS_MUI_ICON ${PROJECT_SOURCE_DIR}/resources/poolscope.ico)
        set(CPACK_NSIS_MUI_UNIICON ${PROJECT_SOURCE_DIR}/resources/poolscope.ico)
        set(CPACK_NSIS_INSTALLED_ICON_NAME "bin\\\\poolscope.exe")
        set(CPACK_NSIS_URL_INFO_ABOUT ${PROJECT_HOMEPAGE_URL})
        set(CPACK_NSIS_ENABLE_UNINSTALL_BEFORE_INSTALL ON)
        # The Start menu entry; the installer's uninstaller removes it.
        set(CPACK_PACKAGE_EXECUTABLES poolscope "Poolscope")
        set(CPACK_COMPONENTS_GROUPING ALL_COMPONENTS_IN_ONE)
        set(CPACK_COMPONENT_POOLSCOPE_REQUIRED ON)
    endif()
endmacro()

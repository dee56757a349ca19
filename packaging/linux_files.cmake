# The files a Linux package carries beyond the programs and poolcore's: copyright and
# changelogs, lintian's overrides, man pages, shell completion and the desktop entry, AppStream
# metainfo and icons. Included by packaging/CMakeLists.txt on Linux (and other Unix but macOS);
# it uses that file's variables (generated, generated_files, packaged_components, ...).

# --- Changelogs and copyright, in each package's doc folder ------------------------------------
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/CHANGELOG.md)
if(POOLSCOPE_PACKAGE_TOOLS_REQUIRED)
    set(CHANGELOG_PROBLEM FATAL_ERROR)
endif()
changelog_read(${PROJECT_SOURCE_DIR}/CHANGELOG.md ${PROJECT_VERSION})
changelog_write_debian(${generated}/changelog.Debian poolscope ${POOLSCOPE_PACKAGE_REVISION}
                       "${POOLSCOPE_PACKAGE_MAINTAINER}")
changelog_write_rpm(${generated}/changelog.rpm ${POOLSCOPE_PACKAGE_REVISION}
                    "${POOLSCOPE_PACKAGE_MAINTAINER}")
changelog_appstream_releases(POOLSCOPE_APPSTREAM_RELEASES)
if(GZIP_EXECUTABLE)
    poolscope_gzip(${generated}/changelog.Debian ${generated}/changelog.Debian.gz)
    poolscope_gzip(${PROJECT_SOURCE_DIR}/CHANGELOG.md ${generated}/changelog.gz)
    list(APPEND generated_files ${generated}/changelog.Debian.gz ${generated}/changelog.gz)
    set(changelogs ${generated}/changelog.Debian.gz ${generated}/changelog.gz)
else()
    set(changelogs ${PROJECT_SOURCE_DIR}/CHANGELOG.md)
endif()
# Per package: its copyright file and changelogs, and lintian's overrides, each with its reason
# (lintian-overrides.in).
foreach(component IN LISTS packaged_components)
    if(component STREQUAL app_component)
        set(package ${app_package})
    else()
        set(package ${component})
    endif()
    install(FILES ${CMAKE_CURRENT_SOURCE_DIR}/copyright ${changelogs}
            DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/${package} COMPONENT ${component})
    configure_file(lintian-overrides.in ${generated}/lintian-overrides/${package} @ONLY)
    install(FILES ${generated}/lintian-overrides/${package}
            DESTINATION ${CMAKE_INSTALL_DATADIR}/lintian/overrides COMPONENT ${component})
endforeach()
install(FILES ${PROJECT_SOURCE_DIR}/README.md
        DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/${app_package} COMPONENT ${app_component})

# --- Man pages, from the programs' own --help ---------------------------------------------------
if(HELP2MAN_EXECUTABLE AND GZIP_EXECUTABLE)
    set(poolscope_man_name "run, watch and control a prefork process pool")
    set(poolscope-worker_man_name "the program Poolscope's spawned workers run as")
    foreach(program poolscope poolscope-worker)
        set(page ${generated}/${program}.1)
        add_custom_command(OUTPUT ${page}
            COMMAND ${HELP2MAN_EXECUTABLE} --no-info --section=1
                    --name=${${program}_man_name}
                    --include=${CMAKE_CURRENT_SOURCE_DIR}/${program}.h2m
                    --output=${page} $<TARGET_FILE:${program}>
            DEPENDS ${program} ${CMAKE_CURRENT_SOURCE_DIR}/${program}.h2m
            COMMENT "help2man: ${program}.1" VERBATIM)
        poolscope_gzip(${page} ${page}.gz)
        list(APPEND generated_files ${page}.gz)
        install(FILES ${page}.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1
                COMPONENT ${app_component})
    endforeach()
else()
    message(STATUS "Packages: help2man or gzip not found; no man pages are installed")
endif()

# --- Shell completion -------------------------------------------------------------------------
install(FILES ${PROJECT_SOURCE_DIR}/resources/poolscope.bash-completion
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME poolscope
        COMPONENT ${app_component})

# --- The desktop: entry, AppStream metainfo and icons (only with the GUI) ----------------------
if(TARGET poolscope_ui)
    # Installed under the AppStream id, which the metainfo's <launchable> names.
    install(FILES ${PROJECT_SOURCE_DIR}/resources/poolscope.desktop
            DESTINATION ${CMAKE_INSTALL_DATADIR}/applications RENAME ${POOLSCOPE_APP_ID}.desktop
            COMPONENT ${app_component})
    configure_file(${PROJECT_SOURCE_DIR}/resources/${POOLSCOPE_APP_ID}.metainfo.xml.in
                   ${generated}/${POOLSCOPE_APP_ID}.metainfo.xml @ONLY)
    install(FILES ${generated}/${POOLSCOPE_APP_ID}.metainfo.xml
            DESTINATION ${CMAKE_INSTALL_DATADIR}/metainfo COMPONENT ${app_component})

    set(icon_source ${PROJECT_SOURCE_DIR}/resources/poolscope.svg)
    set(hicolor ${CMAKE_INSTALL_DATADIR}/icons/hicolor)
    install(FILES ${icon_source} DESTINATION ${hicolor}/scalable/apps
            RENAME ${POOLSCOPE_APP_ID}.svg COMPONENT ${app_component})
    # PNGs for where Qt's (or the desktop's) SVG support is absent.
    if(RSVG_CONVERT_EXECUTABLE)
        foreach(size 16 24 32 48 64 128 256)
            set(png ${generated}/icons/${size}x${size}/${POOLSCOPE_APP_ID}.png)
            add_custom_command(OUTPUT ${png}
                COMMAND ${CMAKE_COMMAND} -E make_directory ${generated}/icons/${size}x${size}
                COMMAND ${RSVG_CONVERT_EXECUTABLE} --width=${size} --height=${size}
                        --keep-aspect-ratio --output=${png} ${icon_source}
                DEPENDS ${icon_source} VERBATIM)
            list(APPEND generated_files ${png})
            install(FILES ${png} DESTINATION ${hicolor}/${size}x${size}/apps
                    COMPONENT ${app_component})
        endforeach()
    else()
        message(STATUS "Packages: rsvg-convert not found; only the SVG icon is installed")
    endif()
endif()

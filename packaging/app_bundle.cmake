# The app as macOS and Windows expect a desktop program: a bundle with an Info.plist and an
# .icns on macOS, an executable with version information and an icon on Windows, each with the
# worker program where find_worker_program() looks (beside the app: Contents/MacOS/ in the
# bundle, bin\ on Windows), and Qt's deployment tool run at install time so that the DMG or the
# installer carries its Qt.
#
# The Info.plist and the .rc are configured on every platform, so that the Linux build checks
# them (tests/check_platform_metadata.py: the plist parses, the .rc compiles with mingw's windres).
set(POOLSCOPE_BUNDLE_ID io.github.poolscope.Poolscope)
set(POOLSCOPE_PLATFORM_DIR ${PROJECT_BINARY_DIR}/generated/platform)

function(poolscope_platform_metadata app worker)
    set(POOLSCOPE_BUNDLE_EXECUTABLE ${app})
    if(CMAKE_OSX_DEPLOYMENT_TARGET)
        set(CMAKE_OSX_DEPLOYMENT_TARGET_OR_DEFAULT ${CMAKE_OSX_DEPLOYMENT_TARGET})
    else()
        set(CMAKE_OSX_DEPLOYMENT_TARGET_OR_DEFAULT 11.0) # Qt 6.5+ needs macOS 11
    endif()
    configure_file(${PROJECT_SOURCE_DIR}/packaging/macos/Info.plist.in
                   ${POOLSCOPE_PLATFORM_DIR}/Info.plist @ONLY)
    set(POOLSCOPE_ICO_FILE ${PROJECT_SOURCE_DIR}/resources/poolscope.ico)
    set(POOLSCOPE_RC_NAME ${app})
    set(POOLSCOPE_RC_DESCRIPTION "Poolscope: run, watch and control a prefork process pool")
    configure_file(${PROJECT_SOURCE_DIR}/packaging/windows/poolscope.rc.in
                   ${POOLSCOPE_PLATFORM_DIR}/${app}.rc @ONLY)

    if(APPLE)
        set(icns ${PROJECT_SOURCE_DIR}/resources/poolscope.icns)
        set_source_files_properties(${icns} PROPERTIES MACOSX_PACKAGE_LOCATION Resources)
        target_sources(${app} PRIVATE ${icns})
        set_target_properties(${app} PROPERTIES
            MACOSX_BUNDLE ON
            MACOSX_BUNDLE_INFO_PLIST ${POOLSCOPE_PLATFORM_DIR}/Info.plist)
        # In the build tree too, so that the bundle runs where it was built.
        add_custom_command(TARGET ${app} POST_BUILD
            COMMAND ${CMAKE_COMMAND} -E copy_if_different $<TARGET_FILE:${worker}>
                    $<TARGET_BUNDLE_CONTENT_DIR:${app}>/MacOS/
            VERBATIM)
        install(TARGETS ${app} BUNDLE DESTINATION . COMPONENT poolscope)
        install(TARGETS ${worker} RUNTIME DESTINATION ${app}.app/Contents/MacOS
                COMPONENT poolscope)
    elseif(WIN32)
        target_sources(${app} PRIVATE ${POOLSCOPE_PLATFORM_DIR}/${app}.rc)
        set_target_properties(${app} PROPERTIES WIN32_EXECUTABLE ON)
        install(TARGETS ${app} ${worker} RUNTIME DESTINATION bin COMPONENT poolscope)
        # windeployqt brings Qt's DLLs; QCustomPlot's is not Qt's own.
        if(TARGET QCustomPlotQt6::QCustomPlotQt6)
            install(IMPORTED_RUNTIME_ARTIFACTS QCustomPlotQt6::QCustomPlotQt6
                    RUNTIME DESTINATION bin LIBRARY DESTINATION bin COMPONENT poolscope)
        endif()
    endif()

    if((APPLE OR WIN32) AND TARGET poolscope_ui)
        # OUTPUT_SCRIPT from Qt 6.5; FILENAME_VARIABLE before it.
        if(Qt6_VERSION VERSION_GREATER_EQUAL 6.5)
            qt_generate_deploy_app_script(TARGET ${app} OUTPUT_SCRIPT deploy_script
                                          NO_UNSUPPORTED_PLATFORM_ERROR)
        else()
            qt_generate_deploy_app_script(TARGET ${app} FILENAME_VARIABLE deploy_script
                                          NO_UNSUPPORTED_PLATFORM_ERROR)
        endif()
        install(SCRIPT ${deploy_script} COMPONENT poolscope)
    endif()
endfunction()

# The main window's layout on laptop and desktop screens (label gui). One program, run once per
# screen: the offscreen platform gets a screen of POOLSCOPE_TEST_SCREEN pixels, scaled by
# QT_SCALE_FACTOR. Each run also saves its screenshots in the build folder.
if(TARGET poolscope_ui)
    poolscope_add_test(NAME test_window_fits SOURCES test_window_fits.cpp gui_test_util.h
        LIBS poolscope_ui LABELS gui TIMEOUT 180)
    target_compile_definitions(test_window_fits PRIVATE
        POOLSCOPE_SCREENSHOT_DIR="${CMAKE_BINARY_DIR}")
    set_property(TEST test_window_fits APPEND PROPERTY ENVIRONMENT POOLSCOPE_TEST_SCREEN=1366x768)
    foreach(screen "1280x720;1" "1920x1080;1" "2560x1440;2")
        list(GET screen 0 size)
        list(GET screen 1 scale)
        set(name test_window_fits_${size}_scale${scale})
        add_test(NAME ${name} COMMAND test_window_fits)
        set_tests_properties(${name} PROPERTIES LABELS gui TIMEOUT 180 ENVIRONMENT
            "QT_QPA_PLATFORM=offscreen;POOLSCOPE_TEST_SCREEN=${size};QT_SCALE_FACTOR=${scale}")
    endforeach()
endif()
# The timeline's density and bar choice, without a widget.
if(TARGET poolscope_ui)
    poolscope_add_test(NAME test_timeline_store SOURCES test_timeline_store.cpp
        LIBS poolscope_ui LABELS quick gui)
endif()
if(TARGET poolscope_ui)
    poolscope_add_test(NAME test_timeline_view SOURCES test_timeline_view.cpp gui_test_util.h
        LIBS poolscope_ui QCustomPlotQt6::QCustomPlotQt6 LABELS gui)
endif()

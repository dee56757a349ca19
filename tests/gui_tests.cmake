poolscope_add_test(NAME test_qt_event_loop SOURCES test_qt_event_loop.cpp
    LIBS poolscope_qtloop LABELS quick gui)
if(TARGET poolscope_ui)
    poolscope_add_test(NAME test_chart_series SOURCES test_chart_series.cpp
        LIBS poolscope_ui LABELS quick gui)
    poolscope_add_test(NAME test_gui_models SOURCES test_gui_models.cpp
        LIBS poolscope_ui LABELS quick gui)
    poolscope_add_test(NAME test_job_stats SOURCES test_job_stats.cpp
        LIBS poolscope_ui LABELS quick gui)
    poolscope_add_test(NAME test_job_views SOURCES test_job_views.cpp
        LIBS poolscope_ui QCustomPlotQt6::QCustomPlotQt6 LABELS gui)
    poolscope_add_test(NAME test_pool_sources SOURCES test_pool_sources.cpp
        LIBS poolscope_ui LABELS quick gui)
    poolscope_add_test(NAME test_chart_widgets SOURCES test_chart_widgets.cpp
        LIBS poolscope_ui QCustomPlotQt6::QCustomPlotQt6 LABELS gui)
    poolscope_add_test(NAME test_main_window SOURCES test_main_window.cpp gui_test_util.h process_util.h
        LIBS poolscope_ui LABELS gui TIMEOUT 300)
    poolscope_add_test(NAME test_gui_screenshot SOURCES test_gui_screenshot.cpp gui_test_util.h
        LIBS poolscope_ui LABELS gui TIMEOUT 120)
    target_compile_definitions(test_gui_screenshot PRIVATE
        POOLSCOPE_SCREENSHOT_DIR="${CMAKE_BINARY_DIR}")
    poolscope_add_test(NAME test_job_views_screenshot SOURCES test_job_views_screenshot.cpp
        gui_test_util.h LIBS poolscope_ui LABELS gui TIMEOUT 120)
    target_compile_definitions(test_job_views_screenshot PRIVATE
        POOLSCOPE_SCREENSHOT_DIR="${CMAKE_BINARY_DIR}")
endif()

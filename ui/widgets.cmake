# The desktop application's widgets, models and charts (included by ui/CMakeLists.txt when
# POOLSCOPE_BUILD_GUI is on). Every #include <qcustomplot.h> stays under ui/charts/.
add_library(poolscope_ui STATIC
    main_window.h main_window.cpp
    sources/pool_action.h sources/pool_action.cpp
    sources/pool_source.h sources/pool_source.cpp
    sources/attach_source.h
    sources/job_records.h
    sources/pool_controller.h sources/pool_controller.cpp
    sources/pool_events.h sources/pool_events.cpp
    sources/load_generator.h sources/load_generator.cpp
    sources/celery_source.h sources/celery_source.cpp
    pages/celery_page.h pages/celery_page.cpp
    monitor/sample.h
    monitor/counter_rate.h monitor/counter_rate.cpp
    monitor/sample_deriver.h monitor/sample_deriver.cpp
    monitor/stats_history.h monitor/stats_history.cpp
    monitor/pool_monitor.h monitor/pool_monitor.cpp
    monitor/latency_histogram.h monitor/latency_histogram.cpp
    monitor/job_stats.h monitor/job_stats.cpp
    monitor/job_monitor.h monitor/job_monitor.cpp
    export_file.h export_file.cpp
    background_export.h background_export.cpp
    fault_injection.h fault_injection.cpp
    help_dialogs.h help_dialogs.cpp
    theme.h theme.cpp
    charts/time_series.h charts/time_series.cpp
    charts/chart_palette.h charts/chart_palette.cpp
    charts/chart_view.h charts/chart_view.cpp
    charts/live_charts.h charts/live_charts.cpp
    charts/job_charts.h charts/job_charts.cpp
    charts/chart_registry.h charts/chart_registry.cpp
    charts/chart_grid.h charts/chart_grid.cpp
    timeline/timeline_store.h timeline/timeline_store.cpp
    timeline/timeline_view.h timeline/timeline_view.cpp
    timeline/mark_style.h timeline/mark_style.cpp
    models/process_table_model.h models/process_table_model.cpp
    models/event_log_model.h models/event_log_model.cpp
    models/job_table_model.h models/job_table_model.cpp
    models/task_table_model.h models/task_table_model.cpp
    pages/jobs_page.h pages/jobs_page.cpp
    pages/tasks_page.h pages/tasks_page.cpp
    pages/settings_page.h pages/settings_page.cpp
    pages/load_page.h pages/load_page.cpp
    pages/process_page.h pages/process_page.cpp
    pages/event_log_page.h pages/event_log_page.cpp
    pages/info_page.h pages/info_page.cpp
    pages/stop_progress.h pages/stop_progress.cpp
    pages/chart_export_dialog.h pages/chart_export_dialog.cpp
    ${PROJECT_SOURCE_DIR}/resources/poolscope.qrc
)
if(NOT WIN32)
    # Attach needs poolcore's monitor client, which Windows builds lack (POOLCORE_HAS_MONITOR).
    target_sources(poolscope_ui PRIVATE sources/attach_source.cpp)
endif()
target_include_directories(poolscope_ui PUBLIC ${PROJECT_SOURCE_DIR})
target_compile_definitions(poolscope_ui PRIVATE POOLSCOPE_VERSION="${PROJECT_VERSION}")
target_link_libraries(poolscope_ui
    PUBLIC poolscope_qtloop poolcore poolscope_celery Qt6::Widgets
    PRIVATE Qt6::PrintSupport QCustomPlotQt6::QCustomPlotQt6 nlohmann_json::nlohmann_json)

# The desktop entry, metainfo and icons are installed by packaging/CMakeLists.txt.

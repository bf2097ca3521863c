# Approver-notification benchmarks (bench/notify-run.sh; results in the
# "Approver notification" section of BENCHMARKS.md).
add_executable(notify_bench ${CMAKE_CURRENT_LIST_DIR}/notify_bench.c)
target_link_libraries(notify_bench PRIVATE jitbench jitcommon PkgConfig::LIBCURL Threads::Threads)

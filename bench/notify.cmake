# Approver-notification benchmarks (bench/notify-run.sh; results in the
# "Approver notification" section of BENCHMARKS.md).
add_executable(notify_bench ${CMAKE_CURRENT_LIST_DIR}/notify_bench.c)
# approve-pam waits in pam_authenticate() through libpam and pam_jit.so
# (pam_start_confdir() needs Linux-PAM 1.4 or newer).
target_link_libraries(notify_bench PRIVATE jitbench jitcommon PkgConfig::LIBCURL PkgConfig::PAM Threads::Threads)

# Unit tests for common/: the varlink codec, the text helpers and the client
# against a small in-test server. No daemon, no root needed (the checks that
# need root to chown a socket skip themselves otherwise).
foreach(t test_varlink test_text test_client)
  add_executable(${t} ${CMAKE_CURRENT_SOURCE_DIR}/${t}.c)
  target_include_directories(${t} PRIVATE ${PROJECT_SOURCE_DIR}/tests)
  target_link_libraries(${t} PRIVATE jitcommon)
  add_test(NAME common/${t} COMMAND ${t})
  set_tests_properties(common/${t} PROPERTIES TIMEOUT 60 SKIP_RETURN_CODE 77 LABELS unit)
endforeach()

# jitctl's exit codes are an interface (jitctl(8)): usage errors are 2 and
# never reach jitd; an absent or untrusted jitd is 3. The commands against a
# real jitd are covered by the integration suite.
add_test(NAME common/jitctl_exit_codes
  COMMAND sh -c [=[
    j="$1"; d=$(mktemp -d) || exit 1; trap 'rm -rf "$d"' EXIT; fail=0
    expect() { want=$1; shift; "$j" "$@" >/dev/null 2>&1; got=$?
               [ "$got" = "$want" ] || { echo "jitctl $*: exit $got, expected $want"; fail=1; }; }
    expect 0 --help
    expect 0 --version
    expect 2
    expect 2 frobnicate
    expect 2 list --bogus
    expect 2 list --all --active
    expect 2 approve not-an-id
    expect 2 approve r0123456789abcdef0 --duration 0
    expect 2 approve r0123456789abcdef0 --duration 367d
    expect 2 revoke
    expect 2 revoke g0123456789abcdef0 --user bob
    expect 2 revoke --action sudo g0123456789abcdef0
    expect 2 grant --user bob --action sudo --duration 1h
    expect 2 grant --user bob --action root --duration 1h --reason x
    expect 2 request
    expect 2 --timeout 0 list
    expect 2 status --user "bad name"
    expect 3 --socket "$d/absent" list
    : > "$d/file"
    expect 3 --socket "$d/file" list
    expect 3 list --socket "$d/file" --json
    exit $fail
  ]=] sh $<TARGET_FILE:jitctl>)
set_tests_properties(common/jitctl_exit_codes PROPERTIES TIMEOUT 60 LABELS unit)

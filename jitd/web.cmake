# jitd-web: jitd's HTTP in both directions, as building blocks: webhooks out
# (message formats, signing, delivery over libcurl) and review links in
# (tokens, form, pages, the libmicrohttpd transport), all driven by jitd's
# sd-event loop.
# Included from jitd/CMakeLists.txt; it depends on nothing in jitd-core, so
# it builds and is tested on its own.
# GLOBAL imported targets, so tests/unit and a later jitd-core can use them.
if(NOT TARGET PkgConfig::LIBCURL)
  pkg_check_modules(LIBCURL REQUIRED IMPORTED_TARGET GLOBAL libcurl>=7.85)
endif()
if(NOT TARGET PkgConfig::MICROHTTPD)
  pkg_check_modules(MICROHTTPD REQUIRED IMPORTED_TARGET GLOBAL libmicrohttpd>=0.9.75)
endif()
if(NOT TARGET PkgConfig::LIBCRYPTO)
  pkg_check_modules(LIBCRYPTO REQUIRED IMPORTED_TARGET GLOBAL libcrypto>=3.0)
endif()

add_library(jitd-web STATIC
  ${CMAKE_CURRENT_LIST_DIR}/crypto-util.c
  ${CMAKE_CURRENT_LIST_DIR}/webhook-payload.c
  ${CMAKE_CURRENT_LIST_DIR}/webhook-format-generic.c
  ${CMAKE_CURRENT_LIST_DIR}/webhook-format-slack.c
  ${CMAKE_CURRENT_LIST_DIR}/webhook-format-teams.c
  ${CMAKE_CURRENT_LIST_DIR}/webhook-sign.c
  ${CMAKE_CURRENT_LIST_DIR}/webhook-delivery.c
  ${CMAKE_CURRENT_LIST_DIR}/review-token.c
  ${CMAKE_CURRENT_LIST_DIR}/review-page.c
  ${CMAKE_CURRENT_LIST_DIR}/review-form.c
  ${CMAKE_CURRENT_LIST_DIR}/review-http.c
  ${CMAKE_CURRENT_LIST_DIR}/http-connection.c
  ${CMAKE_CURRENT_LIST_DIR}/http-form.c
  ${CMAKE_CURRENT_LIST_DIR}/http-server.c)
target_include_directories(jitd-web PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(jitd-web PUBLIC jitcommon PkgConfig::SYSTEMD PkgConfig::LIBCURL
                      PkgConfig::MICROHTTPD PkgConfig::LIBCRYPTO)

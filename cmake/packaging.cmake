# Packaging: what the Debian package installs besides the binary (configuration, systemd unit,
# man page, README, copyright, changelog, monitoring examples) and the CPack settings for
# `cpack -G DEB` in the build folder. The package's maintainer scripts (packaging/debian)
# create the mxrelay user and the spool and register `mxrelay` as a sendmail alternative.
set(MXRELAY_PACKAGING_DIR ${PROJECT_SOURCE_DIR}/packaging)
set(MXRELAY_PACKAGED_CONFIG ${PROJECT_BINARY_DIR}/packaging/mxrelay.toml)
set(MXRELAY_PACKAGED_MAN_PAGE ${PROJECT_BINARY_DIR}/packaging/mxrelay.8.gz)
set(MXRELAY_PACKAGED_CHANGELOG ${PROJECT_BINARY_DIR}/packaging/changelog.Debian.gz)
set(MXRELAY_PACKAGED_README ${PROJECT_BINARY_DIR}/packaging/README.md.gz)
set(MXRELAY_MAINTAINER "mxrelay maintainers <mxrelay@example.org>" CACHE STRING
  "The Debian package's Maintainer field: the name and mail address of who distributes it")

set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
  ${PROJECT_SOURCE_DIR}/conf/mxrelay.toml ${MXRELAY_PACKAGING_DIR}/man/mxrelay.8
  ${MXRELAY_PACKAGING_DIR}/debian/changelog ${PROJECT_SOURCE_DIR}/README.md)

# The changelog's newest entry names the package's version, PROJECT_VERSION-RELEASE.
set(MXRELAY_PACKAGE_RELEASE 1)
file(STRINGS ${MXRELAY_PACKAGING_DIR}/debian/changelog changelog_top LIMIT_COUNT 1)
if(NOT changelog_top MATCHES "^mxrelay \\(${PROJECT_VERSION}-${MXRELAY_PACKAGE_RELEASE}\\) ")
  message(FATAL_ERROR "packaging/debian/changelog: the newest entry is \"${changelog_top}\", "
                      "not version ${PROJECT_VERSION}-${MXRELAY_PACKAGE_RELEASE}: add an entry")
endif()

# The installed configuration is the reference configuration with two values changed: the
# relay listens on 127.0.0.1:25 and spools to /var/spool/mxrelay.
file(READ ${PROJECT_SOURCE_DIR}/conf/mxrelay.toml reference_config)
string(REGEX REPLACE "\nlisten = \\[[^\n#]*" "\nlisten = [\"127.0.0.1:25\"]  " packaged_config
  "${reference_config}")
string(REGEX REPLACE "\ndir = \"[^\"\n]*\"" "\ndir = \"/var/spool/mxrelay\"" packaged_config
  "${packaged_config}")
if(NOT packaged_config MATCHES "\nlisten = \\[\"127.0.0.1:25\"\\]"
   OR NOT packaged_config MATCHES "\ndir = \"/var/spool/mxrelay\"")
  message(WARNING "packaging: conf/mxrelay.toml has no [server] listen or [queue] dir line to "
                  "adapt; the packaged configuration keeps the reference values")
endif()
file(WRITE ${MXRELAY_PACKAGED_CONFIG}
"# mxrelay configuration, installed by the mxrelay package. Check it after every change with
#   mxrelay check
# and apply it with `systemctl reload mxrelay` (server.listen, queue.dir and metrics.listen:
# `systemctl restart mxrelay`). The package's values differ from the reference defaults
# described below in two keys: the relay listens on 127.0.0.1:25 only, and spools to
# /var/spool/mxrelay. To relay for mail servers on your network, set server.listen to the
# address they should connect to (for example [\"192.0.2.10:25\"], or [\"0.0.0.0:25\"] for every
# IPv4 address) and list their addresses in server.relay_networks. See mxrelay(8).

${packaged_config}")

# gzip -9n, as Debian policy wants documentation compressed (no name or time stamp inside).
foreach(pair "man/mxrelay.8;${MXRELAY_PACKAGED_MAN_PAGE}"
             "debian/changelog;${MXRELAY_PACKAGED_CHANGELOG}"
             "../README.md;${MXRELAY_PACKAGED_README}")
  list(GET pair 0 source)
  list(GET pair 1 compressed)
  execute_process(
    COMMAND gzip -9 -n -c ${MXRELAY_PACKAGING_DIR}/${source}
    OUTPUT_FILE ${compressed}
    COMMAND_ERROR_IS_FATAL ANY)
endforeach()

install(FILES ${MXRELAY_PACKAGED_CONFIG} ${PROJECT_SOURCE_DIR}/conf/transport.toml
  DESTINATION /etc/mxrelay)
install(FILES ${MXRELAY_PACKAGING_DIR}/systemd/mxrelay.service DESTINATION /lib/systemd/system)
install(FILES ${MXRELAY_PACKAGED_MAN_PAGE} DESTINATION ${CMAKE_INSTALL_MANDIR}/man8)
install(FILES ${MXRELAY_PACKAGING_DIR}/debian/copyright ${MXRELAY_PACKAGED_CHANGELOG}
  ${MXRELAY_PACKAGED_README} DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES ${MXRELAY_PACKAGING_DIR}/lintian/mxrelay DESTINATION share/lintian/overrides)
install(FILES ${MXRELAY_PACKAGING_DIR}/fail2ban/filter.d/mxrelay.conf
  DESTINATION /etc/fail2ban/filter.d)
install(FILES ${MXRELAY_PACKAGING_DIR}/fail2ban/jail.d/mxrelay.conf
  DESTINATION /etc/fail2ban/jail.d)
install(FILES ${MXRELAY_PACKAGING_DIR}/prometheus/alerts.yml
  ${MXRELAY_PACKAGING_DIR}/grafana/mxrelay-dashboard.json
  DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME mxrelay)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "${MXRELAY_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "outbound SMTP relay (smart host)")
set(CPACK_STRIP_FILES TRUE)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE ${MXRELAY_PACKAGE_RELEASE})
set(CPACK_DEBIAN_PACKAGE_SECTION mail)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
  "mxrelay accepts mail from trusted servers (Domino, Exchange), stores it durably
and delivers it to the recipient domains' MX hosts or to configured next hops,
with its own DNSSEC-validating resolver, retries, delivery status notifications
and Prometheus metrics.")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${MXRELAY_PACKAGING_DIR}/debian/conffiles
  ${MXRELAY_PACKAGING_DIR}/debian/postinst
  ${MXRELAY_PACKAGING_DIR}/debian/prerm
  ${MXRELAY_PACKAGING_DIR}/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)

# Library dependencies: computed by dpkg-shlibdeps (packages dpkg-dev and file) when it is
# there, else the Debian 12 packages of the libraries the binary links.
set(mxrelay_non_library_depends "adduser, dns-root-data")
find_program(MXRELAY_DPKG_SHLIBDEPS dpkg-shlibdeps)
find_program(MXRELAY_FILE_PROGRAM file)
if(MXRELAY_DPKG_SHLIBDEPS AND MXRELAY_FILE_PROGRAM)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
  set(CPACK_DEBIAN_PACKAGE_DEPENDS "${mxrelay_non_library_depends}")
else()
  set(CPACK_DEBIAN_PACKAGE_DEPENDS "${mxrelay_non_library_depends}, libc6, libgcc-s1, \
libstdc++6, libssl3, libunbound8, libidn2-0, libtomlplusplus3, libsystemd0, \
libprometheus-cpp-core1.0, libprometheus-cpp-pull1.0, libhiredis0.14")
endif()

include(CPack)

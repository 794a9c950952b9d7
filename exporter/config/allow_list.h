// The allow-list of a /probe module (`allowed_targets`): which probed
// addresses the exporter may connect to, so that it is no open proxy.
//
// A pattern is HOST:PORT, or "*" alone for any address. PORT is a number or a
// glob over one ("*", "63??"). HOST is matched by its kind, on the parsed
// target (never on raw text):
//   *                  any host;
//   10.0.1.0/24        IPv4 addresses in the CIDR block;
//   10.0.1.*           a glob over IPv4 addresses only (digits, '.', '*',
//                      '?', '[...]'): it never matches a host name;
//   [::1], [fd00::/8], [fd00:*]
//                      IPv6 addresses: exact, CIDR, or a glob over the
//                      address as written in the probe;
//   cache-*.internal   a glob over host names only (case-insensitive): it
//                      never matches an IP address. Names are not resolved
//                      to be matched: a name pattern trusts the DNS.
#ifndef DATASTORE_EXPORTER_EXPORTER_CONFIG_ALLOW_LIST_H_
#define DATASTORE_EXPORTER_EXPORTER_CONFIG_ALLOW_LIST_H_

#include <string>

#include "absl/status/status.h"
#include "exporter/config/config.h"

namespace dse {

// Checks a pattern when the configuration is loaded; the error says why.
absl::Status CheckAllowPattern(const std::string& pattern);

// True when `target` (as ParseHostPort gave it) matches one of the module's
// allowed_targets.
bool ModuleAllows(const ModuleConfig& module, const HostPort& target);

}  // namespace dse

#endif  // DATASTORE_EXPORTER_EXPORTER_CONFIG_ALLOW_LIST_H_

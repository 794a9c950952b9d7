#include "exporter/model/model.h"

namespace dse {

std::string_view RoleName(Role role) {
  // In the order of the enum.
  static constexpr std::string_view kNames[] = {"primary", "secondary",
                                                "recovering", "unknown"};
  static_assert(sizeof(kNames) / sizeof(kNames[0]) ==
                static_cast<size_t>(Role::kUnknown) + 1);
  return kNames[static_cast<size_t>(role)];
}

namespace {

// Length of the well-formed UTF-8 sequence at text[i] (RFC 3629: no
// overlong forms, no surrogates, at most U+10FFFF), or 0.
size_t SequenceLength(std::string_view text, size_t i) {
  auto byte = [&](size_t at) {
    return at < text.size() ? static_cast<unsigned char>(text[at]) : 0u;
  };
  auto continuation = [&](size_t at) { return (byte(at) & 0xC0) == 0x80; };
  const unsigned lead = byte(i);
  if (lead >= 0x01 && lead <= 0x7F) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) return continuation(i + 1) ? 2 : 0;
  if (lead >= 0xE0 && lead <= 0xEF) {
    const unsigned second = byte(i + 1);
    if (lead == 0xE0 && second < 0xA0) return 0;  // Overlong.
    if (lead == 0xED && second > 0x9F) return 0;  // Surrogate.
    return continuation(i + 1) && continuation(i + 2) ? 3 : 0;
  }
  if (lead >= 0xF0 && lead <= 0xF4) {
    const unsigned second = byte(i + 1);
    if (lead == 0xF0 && second < 0x90) return 0;  // Overlong.
    if (lead == 0xF4 && second > 0x8F) return 0;  // Past U+10FFFF.
    return continuation(i + 1) && continuation(i + 2) && continuation(i + 3)
               ? 4
               : 0;
  }
  return 0;
}

void Fix(std::string& text) {
  for (size_t i = 0; i < text.size();) {
    const size_t length = SequenceLength(text, i);
    if (length == 0) {
      text = ValidUtf8(text);
      return;
    }
    i += length;
  }
}

}  // namespace

std::string ValidUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const size_t length = SequenceLength(text, i);
    if (length == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD
      ++i;
    } else {
      out.append(text.data() + i, length);
      i += length;
    }
  }
  return out;
}

void MakeValidUtf8(NodeModel& model) {
  for (std::string* text : {&model.cluster_id, &model.cluster_display_name,
                            &model.node, &model.version}) {
    Fix(*text);
  }
  for (Shard& shard : model.shards) {
    Fix(shard.id);
    Fix(shard.role_detail);
    if (shard.commit_offset) Fix(shard.commit_offset->unit);
    for (Lag& lag : shard.lags) Fix(lag.unit);
  }
}

}  // namespace dse

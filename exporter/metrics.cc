#include "exporter/metrics.h"

#include <charconv>
#include <cmath>
#include <string_view>
#include <system_error>

namespace dse {
namespace {

MetricFamily Family(const char* name, const char* help) {
  MetricFamily family;
  family.name = name;
  family.help = help;
  return family;
}

void AddSample(MetricFamily& family, std::vector<LabelPair> labels,
               double value) {
  family.samples.push_back(GaugeSample{std::move(labels), value});
}

// Appends `text` with backslash and newline escaped, and double quote too
// when `quote` (label values; help text leaves it as is).
void AppendEscaped(std::string& out, std::string_view text, bool quote) {
  size_t plain = 0;  // Start of the run not yet appended.
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c != '\\' && c != '\n' && !(quote && c == '"')) continue;
    out.append(text.data() + plain, i - plain);
    out += '\\';
    out += c == '\n' ? 'n' : c;
    plain = i + 1;
  }
  out.append(text.data() + plain, text.size() - plain);
}

// An upper bound of what AppendValue writes: "-1.234567890123456e-308".
constexpr size_t kMaxValueChars = 24;

constexpr Role kAllRoles[] = {Role::kPrimary, Role::kSecondary,
                              Role::kRecovering, Role::kUnknown};

}  // namespace

const char* ExporterVersion() { return DSE_VERSION; }
const char* ExporterRevision() { return DSE_REVISION; }

std::vector<MetricFamily> BuildFamilies(
    const std::vector<TargetResult>& results) {
  MetricFamily up = Family(
      "datastore_up",
      "1 if the target was reached and modelled in this scrape, else 0.");
  MetricFamily info = Family(
      "datastore_info",
      "Administration information of the node (Datastore Model); always 1.");
  MetricFamily role = Family(
      "datastore_shard_role",
      "Role of the node for the shard: one series per role, exactly one is 1.");
  MetricFamily offset = Family(
      "datastore_shard_commit_offset",
      "The node's commit offset for the shard, in the datastore's own unit.");
  MetricFamily lag = Family(
      "datastore_shard_replication_lag",
      "Replication lag of the node's copy of the shard; absent when unknown.");
  MetricFamily duration =
      Family("datastore_collect_duration_seconds",
             "Time the collection of this target took in this scrape.");
  MetricFamily build =
      Family("datastore_exporter_build_info",
             "Version and revision of datastore_exporter; always 1.");

  for (const TargetResult& result : results) {
    AddSample(up, {{"target", result.target}, {"kind", result.kind}},
              result.up ? 1 : 0);
    AddSample(duration, {{"target", result.target}, {"kind", result.kind}},
              result.duration_seconds);
    if (!result.up) continue;
    const NodeModel& model = result.model;
    AddSample(info,
              {{"target", result.target},
               {"kind", result.kind},
               {"cluster_id", model.cluster_id},
               {"cluster_display_name", model.cluster_display_name},
               {"node", model.node},
               {"version", model.version}},
              1);
    for (const Shard& shard : model.shards) {
      for (Role each : kAllRoles) {
        AddSample(role,
                  {{"target", result.target},
                   {"cluster_id", model.cluster_id},
                   {"node", model.node},
                   {"shard", shard.id},
                   {"role", std::string(RoleName(each))}},
                  each == shard.role ? 1 : 0);
      }
      if (shard.commit_offset) {
        AddSample(offset,
                  {{"target", result.target},
                   {"cluster_id", model.cluster_id},
                   {"node", model.node},
                   {"shard", shard.id},
                   {"unit", shard.commit_offset->unit}},
                  static_cast<double>(shard.commit_offset->value));
      }
      for (const Lag& each : shard.lags) {
        AddSample(lag,
                  {{"target", result.target},
                   {"cluster_id", model.cluster_id},
                   {"node", model.node},
                   {"shard", shard.id},
                   {"unit", each.unit}},
                  each.value);
      }
    }
  }
  AddSample(build, {{"version", DSE_VERSION}, {"revision", DSE_REVISION}}, 1);

  std::vector<MetricFamily> families;
  for (MetricFamily* family :
       {&up, &info, &role, &offset, &lag, &duration, &build}) {
    if (!family->samples.empty()) families.push_back(std::move(*family));
  }
  return families;
}

void AppendValue(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "Nan";
  } else if (std::isinf(value)) {
    out += value < 0 ? "-Inf" : "+Inf";
  } else {
    // to_chars with a precision is printf's "%.16g" in the C locale.
    char buffer[kMaxValueChars + 8];
    const std::to_chars_result result = std::to_chars(
        buffer, buffer + sizeof(buffer), value, std::chars_format::general, 16);
    if (result.ec == std::errc()) out.append(buffer, result.ptr);
  }
}

std::string SerializeText(const std::vector<MetricFamily>& families) {
  // One pass for the size (escapes aside) so that the text is allocated once.
  size_t size = 0;
  for (const MetricFamily& family : families) {
    size += family.help.size() + 2 * family.name.size() + 24;
    for (const GaugeSample& sample : family.samples) {
      size += family.name.size() + kMaxValueChars + 4;
      for (const LabelPair& label : sample.labels) {
        size += label.name.size() + label.value.size() + 4;
      }
    }
  }
  std::string out;
  out.reserve(size);
  for (const MetricFamily& family : families) {
    if (!family.help.empty()) {
      out += "# HELP ";
      out += family.name;
      out += ' ';
      AppendEscaped(out, family.help, /*quote=*/false);
      out += '\n';
    }
    out += "# TYPE ";
    out += family.name;
    out += " gauge\n";
    for (const GaugeSample& sample : family.samples) {
      out += family.name;
      if (!sample.labels.empty()) {
        char separator = '{';
        for (const LabelPair& label : sample.labels) {
          out += separator;
          out += label.name;
          out += "=\"";
          AppendEscaped(out, label.value, /*quote=*/true);
          out += '"';
          separator = ',';
        }
        out += '}';
      }
      out += ' ';
      AppendValue(out, sample.value);
      out += '\n';
    }
  }
  return out;
}

}  // namespace dse

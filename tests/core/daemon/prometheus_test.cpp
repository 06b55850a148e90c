#include "core/daemon/prometheus.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace corrent::daemon {
namespace {

TEST(PrometheusText, WritesFamiliesAndSamples) {
  prometheus_text t;
  t.family("corrent_downloaded_bytes_total", "counter", "Payload bytes received.");
  t.sample("corrent_downloaded_bytes_total", {}, std::int64_t{1234567890123});
  t.family("corrent_torrents", "gauge", "Torrents, by state.");
  t.sample("corrent_torrents", {{"state", "seeding"}}, std::int64_t{3});
  t.sample("corrent_rate", {{"a", "1"}, {"b", "2"}}, 0.5);
  EXPECT_EQ(t.take(),
            "# HELP corrent_downloaded_bytes_total Payload bytes received.\n"
            "# TYPE corrent_downloaded_bytes_total counter\n"
            "corrent_downloaded_bytes_total 1234567890123\n"
            "# HELP corrent_torrents Torrents, by state.\n"
            "# TYPE corrent_torrents gauge\n"
            "corrent_torrents{state=\"seeding\"} 3\n"
            "corrent_rate{a=\"1\",b=\"2\"} 0.5\n");
}

TEST(PrometheusText, EscapesLabelValuesAndSpecialNumbers) {
  prometheus_text t;
  t.sample("x", {{"name", "a\"b\\c\nd"}}, std::numeric_limits<double>::infinity());
  t.sample("y", {}, std::numeric_limits<double>::quiet_NaN());
  EXPECT_EQ(t.take(), "x{name=\"a\\\"b\\\\c\\nd\"} +Inf\ny NaN\n");
}

}  // namespace
}  // namespace corrent::daemon

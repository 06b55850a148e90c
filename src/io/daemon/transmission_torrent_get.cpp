// transmission_rpc: torrent-get, every field of every client it serves.
#include "io/daemon/transmission_rpc.hpp"

#include <openssl/rand.h>
#include <spdlog/spdlog.h>
#include <sys/statvfs.h>

#include <boost/json.hpp>
#include <cmath>
#include <unordered_map>

#include "core/crypto/sha1.hpp"
#include "core/daemon/api_rules.hpp"
#include "core/metainfo/magnet.hpp"
#include "core/metainfo/parse.hpp"
#include "core/swarm/file_progress.hpp"
#include "core/text/base64.hpp"
#include "core/text/percent.hpp"
#include "io/daemon/api_json.hpp"
#include "io/daemon/daemon_api.hpp"
#include "io/daemon/transmission_util.hpp"
#include "io/torrent/torrent.hpp"

namespace corrent::io {
namespace json = boost::json;
namespace tr = daemon::transmission;
using namespace trpc_detail;

const transmission_rpc::extras& transmission_rpc::extras_of(const std::string& info_hash) {
  auto& slot = extras_[info_hash];
  if (!slot) {
    slot = std::make_shared<extras>();
    if (auto bytes = api_.store().load_metainfo(info_hash)) {
      metainfo::parse_limits limits;
      if (auto t = metainfo::parse_torrent(*bytes, limits)) {
        slot->comment = t->comment;
        slot->creator = t->created_by;
        slot->date_created = t->creation_date.value_or(0);
      }
    }
  }
  return *slot;
}

outcome transmission_rpc::torrent_get(const json::object& args) {
  const auto* f = args.if_contains("fields");
  if (!f || !f->is_array()) return fail("no fields specified");
  std::vector<std::string> fields;
  for (const auto& x : f->as_array()) {
    if (x.is_string()) fields.emplace_back(x.as_string());
  }
  std::string why;
  bool recent = false;
  const auto sel = select(args, why, recent);
  if (!sel) return fail(why);
  const std::int64_t now = unix_now();
  const double clock = api_.sess().now();
  // One arena for the reply: thousands of torrents.
  const auto sp = json::make_shared_resource<json::monotonic_resource>();
  json::array torrents(sp);
  for (const auto& hash : *sel) {
    const auto* e = api_.entry_of(hash);
    const auto [t, s] = api_.find_with_status(hash);
    const auto* info = t ? t->info() : nullptr;
    const std::int64_t id = ids_.id_of(hash);
    const std::int64_t left = s.bytes_total - s.bytes_done;
    if (s.down_rate >= 1 || s.up_rate >= 1) active_at_[hash] = now;
    std::optional<std::vector<live_peer>> peers;
    const auto live = [&]() -> const std::vector<live_peer>& {
      if (!peers) peers = t ? t->live_peers() : std::vector<live_peer>{};
      return *peers;
    };
    std::optional<std::vector<corrent::torrent::tier_report>> tiers;
    const auto trackers = [&]() -> const std::vector<corrent::torrent::tier_report>& {
      if (!tiers) tiers = t ? t->trackers() : std::vector<corrent::torrent::tier_report>{};
      return *tiers;
    };
    const auto to_unix = [&](double logic_time) {
      return logic_time <= 0 ? std::int64_t{0}
                             : now - static_cast<std::int64_t>(std::llround(clock - logic_time));
    };
    const std::string state = state_name(s.state);
    const bool downloading =
        s.state == torrent_state::downloading || s.state == torrent_state::fetching_metadata;
    json::object o(sp);
    o.reserve(fields.size());
    for (const auto& name : fields) {
      if (name == "id") {
        o["id"] = id;
      } else if (name == "name") {
        o["name"] = s.name;
      } else if (name == "hashString") {
        o["hashString"] = hash;
      } else if (name == "status") {
        o["status"] = static_cast<int>(tr::status_of(state));
      } else if (name == "error") {
        o["error"] = s.error.empty() ? 0 : 3;
      } else if (name == "errorString") {
        o["errorString"] = s.error;
      } else if (name == "eta") {
        o["eta"] = s.bytes_total == 0 && downloading ? std::int64_t{-2}
                                                     : tr::eta(left, s.down_rate, downloading);
      } else if (name == "isFinished") {
        o["isFinished"] = s.state == torrent_state::finished;
      } else if (name == "isStalled") {
        o["isStalled"] = false;
      } else if (name == "leftUntilDone") {
        o["leftUntilDone"] = left;
      } else if (name == "sizeWhenDone" || name == "totalSize") {
        o[name] = s.bytes_total;
      } else if (name == "haveValid") {
        o["haveValid"] = s.bytes_done;
      } else if (name == "haveUnchecked" || name == "bandwidthPriority" ||
                 name == "webseedsSendingToUs" || name == "recheckProgress") {
        o[name] = 0;
      } else if (name == "percentDone") {
        o["percentDone"] = progress(s.bytes_done, s.bytes_total);
      } else if (name == "metadataPercentComplete") {
        o[name] = info ? 1.0
                       : progress(s.metadata_pieces_done,
                                  std::max<std::int64_t>(1, s.metadata_pieces_total));
      } else if (name == "rateDownload") {
        o[name] = static_cast<std::int64_t>(s.down_rate);
      } else if (name == "rateUpload") {
        o[name] = static_cast<std::int64_t>(s.up_rate);
      } else if (name == "uploadRatio") {
        o[name] = tr::ratio(s.uploaded_total, s.downloaded_total, s.bytes_done);
      } else if (name == "uploadedEver") {
        o[name] = s.uploaded_total;
      } else if (name == "downloadedEver") {
        o[name] = s.downloaded_total;
      } else if (name == "corruptEver") {
        o[name] = s.hash_failures * (info ? info->piece_length : 0);
      } else if (name == "desiredAvailable") {
        o[name] = s.peers_connected > 0 ? left : 0;
      } else if (name == "peersConnected") {
        o[name] = s.peers_connected;
      } else if (name == "peersGettingFromUs" || name == "peersSendingToUs") {
        const bool up = name == "peersGettingFromUs";
        int n = 0;
        for (const auto& p : live()) n += (up ? p.up_rate : p.down_rate) >= 1 ? 1 : 0;
        o[name] = n;
      } else if (name == "peersFrom") {
        std::array<int, swarm::peer_source_count> by{};
        for (const auto& p : live()) ++by[static_cast<std::size_t>(p.source)];
        const auto of = [&](swarm::peer_source src) { return by[static_cast<std::size_t>(src)]; };
        o[name] = json::object{
            {"fromCache", 0},
            {"fromDht", of(swarm::peer_source::dht)},
            {"fromIncoming", of(swarm::peer_source::incoming)},
            {"fromLpd", 0},
            {"fromLtep", 0},
            {"fromPex", of(swarm::peer_source::pex)},
            {"fromTracker", of(swarm::peer_source::tracker) + of(swarm::peer_source::manual)}};
      } else if (name == "peers") {
        json::array a;
        for (const auto& p : live()) {
          tr::peer_flags fl;
          fl.am_interested = p.am_interested;
          fl.peer_choking = p.peer_choking;
          fl.peer_interested = p.peer_interested;
          fl.am_choking = p.am_choking;
          fl.encrypted = p.encrypted;
          fl.incoming = p.incoming;
          fl.from_pex = p.source == swarm::peer_source::pex;
          fl.from_dht = p.source == swarm::peer_source::dht;
          a.push_back(json::object{{"address", p.address},
                                   {"clientIsChoked", p.am_choking},
                                   {"clientIsInterested", p.am_interested},
                                   {"clientName", p.client},
                                   {"flagStr", tr::flag_str(fl)},
                                   {"isDownloadingFrom", p.down_rate >= 1},
                                   {"isEncrypted", p.encrypted},
                                   {"isIncoming", p.incoming},
                                   {"isUTP", false},
                                   {"isUploadingTo", p.up_rate >= 1},
                                   {"peerIsChoked", p.peer_choking},
                                   {"peerIsInterested", p.peer_interested},
                                   {"port", p.port},
                                   {"progress", p.progress},
                                   {"rateToClient", static_cast<std::int64_t>(p.down_rate)},
                                   {"rateToPeer", static_cast<std::int64_t>(p.up_rate)}});
        }
        o[name] = std::move(a);
      } else if (name == "addedDate") {
        o[name] = e ? e->added_at : 0;
      } else if (name == "doneDate") {
        o[name] = e ? e->completed_at : 0;
      } else if (name == "activityDate") {
        // 0 until it moved data or completed, as in Transmission.
        const auto it = active_at_.find(hash);
        std::int64_t a = 0;
        if (it != active_at_.end()) a = std::max(a, it->second);
        if (e) a = std::max(a, e->completed_at);
        o[name] = a;
      } else if (name == "startDate") {
        o[name] = s.elapsed_s > 0 ? now - static_cast<std::int64_t>(s.elapsed_s) : 0;
      } else if (name == "secondsDownloading") {
        o[name] = s.downloaded_total - s.downloaded_carried > 0
                      ? static_cast<std::int64_t>(std::max(0.0, s.elapsed_s - s.seeding_s))
                      : 0;
      } else if (name == "secondsSeeding") {
        o[name] = static_cast<std::int64_t>(s.seeding_s);
      } else if (name == "dateCreated") {
        o[name] = info ? extras_of(hash).date_created : 0;
      } else if (name == "comment") {
        o[name] = info ? extras_of(hash).comment : std::string();
      } else if (name == "creator") {
        o[name] = info ? extras_of(hash).creator : std::string();
      } else if (name == "downloadDir") {
        o[name] = e ? e->save_path : std::string();
      } else if (name == "downloadLimit") {
        o[name] = e ? e->max_download_rate / kilo : 0;
      } else if (name == "downloadLimited") {
        o[name] = e && e->max_download_rate > 0;
      } else if (name == "uploadLimit") {
        o[name] = e ? e->max_upload_rate / kilo : 0;
      } else if (name == "uploadLimited") {
        o[name] = e && e->max_upload_rate > 0;
      } else if (name == "honorsSessionLimits") {
        o[name] = true;
      } else if (name == "seedRatioLimit") {
        o[name] =
            e && e->seed_ratio_milli > 0 ? static_cast<double>(e->seed_ratio_milli) / 1000 : 2.0;
      } else if (name == "seedRatioMode") {
        o[name] = !e ? 0 : e->seed_ratio_milli > 0 ? 1 : e->no_ratio_limit ? 2 : 0;
      } else if (name == "seedIdleLimit") {
        o[name] = e && e->seed_time_s > 0 ? e->seed_time_s / 60 : 30;
      } else if (name == "seedIdleMode") {
        o[name] = !e ? 0 : e->seed_time_s > 0 ? 1 : e->no_time_limit ? 2 : 0;
      } else if (name == "isPrivate") {
        o[name] = info && info->is_private;
      } else if (name == "labels" || name == "webseeds") {
        o[name] = json::array{};
      } else if (name == "magnetLink") {
        o[name] = magnet_of(hash, s.name, trackers());
      } else if (name == "peer-limit") {
        o[name] = api_.sess().options().max_peers;
      } else if (name == "pieceCount") {
        o[name] = s.pieces_total;
      } else if (name == "pieceSize") {
        o[name] = info ? info->piece_length : 0;
      } else if (name == "pieces") {
        o[name] = t ? text::base64_encode(t->have().to_wire()) : std::string();
      } else if (name == "queuePosition") {
        o[name] = id - 1;
      } else if (name == "fileCount") {
        std::int64_t n = 0;
        if (info) {
          for (const auto& fe : info->files) n += fe.pad ? 0 : 1;
        }
        o[name] = n;
      } else if (name == "files" || name == "fileStats" || name == "priorities" ||
                 name == "wanted") {
        json::array a;
        if (info) {
          const auto done = swarm::file_bytes_done(*info, t->have());
          for (std::size_t i = 0; i < info->files.size(); ++i) {
            const auto& fe = info->files[i];
            if (fe.pad) continue;
            if (name == "files") {
              // The path names the torrent's directory already ("name/dir/file").
              a.push_back(json::object{
                  {"bytesCompleted", done[i]}, {"length", fe.length}, {"name", fe.path}});
            } else if (name == "fileStats") {
              a.push_back(
                  json::object{{"bytesCompleted", done[i]}, {"priority", 0}, {"wanted", true}});
            } else {
              a.push_back(name == "wanted" ? 1 : 0);
            }
          }
        }
        o[name] = std::move(a);
      } else if (name == "trackers" || name == "trackerStats") {
        json::array a;
        std::int64_t tid = 0;
        const auto& tiers_now = trackers();
        for (std::size_t tier = 0; tier < tiers_now.size(); ++tier) {
          const auto& tt = tiers_now[tier];
          for (std::size_t u = 0; u < tt.urls.size(); ++u, ++tid) {
            const auto& url = tt.urls[u];
            if (name == "trackers") {
              a.push_back(json::object{{"announce", url},
                                       {"id", tid},
                                       {"scrape", ""},
                                       {"tier", static_cast<std::int64_t>(tier)}});
              continue;
            }
            const bool active = u == 0;
            json::object ts;
            ts["announce"] = url;
            ts["announceState"] = !active ? 0 : tt.in_flight ? 3 : 1;
            ts["downloadCount"] = -1;
            ts["hasAnnounced"] = active && tt.announced;
            // No scrapes: the swarm counts come with each announce's answer, and are
            // reported as the scrape's (Transmission prints them from there).
            const bool counted = active && tt.counts_at > 0;
            ts["hasScraped"] = counted;
            ts["host"] = tracker_host(url);
            ts["id"] = tid;
            ts["isBackup"] = !active;
            ts["lastAnnouncePeerCount"] = active ? tt.last_peers : 0;
            ts["lastAnnounceResult"] = !active || !tt.announced ? ""
                                       : tt.ok                  ? "Success"
                                                                : "Could not connect to tracker";
            ts["lastAnnounceStartTime"] = active ? to_unix(tt.last_round_at) : 0;
            ts["lastAnnounceSucceeded"] = active && tt.announced && tt.ok;
            ts["lastAnnounceTime"] = active ? to_unix(tt.last_round_at) : 0;
            ts["lastAnnounceTimedOut"] = false;
            ts["lastScrapeResult"] = "";
            ts["lastScrapeStartTime"] = counted ? to_unix(tt.counts_at) : 0;
            ts["lastScrapeSucceeded"] = counted;
            ts["lastScrapeTime"] = counted ? to_unix(tt.counts_at) : 0;
            ts["lastScrapeTimedOut"] = 0;
            ts["leecherCount"] = counted ? tt.leechers : -1;
            ts["nextAnnounceTime"] = active && tt.announced ? to_unix(tt.next_round_at) : 0;
            ts["nextScrapeTime"] = counted ? to_unix(tt.next_round_at) : 0;
            ts["scrape"] = "";
            ts["scrapeState"] = counted ? 1 : 0;
            ts["seederCount"] = counted ? tt.seeders : -1;
            ts["tier"] = static_cast<std::int64_t>(tier);
            a.push_back(std::move(ts));
          }
        }
        o[name] = std::move(a);
      }
      // Other names are left out, as 3.00 leaves out what it does not know.
    }
    torrents.push_back(std::move(o));
  }
  outcome out;
  out.arguments["torrents"] = std::move(torrents);
  if (recent) {
    json::array removed;
    for (const auto id : ids_.removed_since(static_cast<double>(now) - tr::recently_active_s))
      removed.push_back(id);
    out.arguments["removed"] = std::move(removed);
  }
  return out;
}

}  // namespace corrent::io

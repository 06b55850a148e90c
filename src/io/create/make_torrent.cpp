#include "io/create/make_torrent.hpp"

#include <algorithm>
#include <system_error>

#include "core/metainfo/build.hpp"
#include "core/metainfo/path_rules.hpp"

namespace corrent::io {
namespace fs = std::filesystem;

namespace {

error io_error(const std::error_code& ec, const fs::path& p) {
  return error{boost::system::error_code(ec.value(), boost::system::system_category()), p.string()};
}

error invalid(std::string detail) {
  return error{make_error_code(boost::system::errc::invalid_argument), std::move(detail)};
}

struct scanned_file {
  std::vector<std::string> components;
  fs::path path;
  std::int64_t length;
  bool executable;
};

result<void> scan(const fs::path& root, std::vector<scanned_file>& files,
                  std::vector<std::string>& skipped) {
  std::error_code ec;
  fs::recursive_directory_iterator it(root, fs::directory_options::none, ec), end;
  if (ec) return io_error(ec, root);
  for (; it != end; it.increment(ec)) {
    if (ec) return io_error(ec, it->path());
    const auto status = it->symlink_status(ec);
    if (ec) return io_error(ec, it->path());
    const fs::path rel = it->path().lexically_relative(root);
    if (fs::is_symlink(status)) {
      skipped.push_back(rel.string() + " (symbolic link, not followed)");
      continue;
    }
    if (fs::is_directory(status)) continue;
    if (!fs::is_regular_file(status)) {
      skipped.push_back(rel.string() + " (not a regular file)");
      continue;
    }
    scanned_file f;
    for (const auto& c : rel) {
      if (auto why = metainfo::unsafe_component_reason(c.string())) {
        return invalid(rel.string() + ": " + std::string(*why));
      }
      f.components.push_back(c.string());
    }
    f.path = it->path();
    f.length = static_cast<std::int64_t>(it->file_size(ec));
    if (ec) return io_error(ec, it->path());
    f.executable = (status.permissions() & fs::perms::owner_exec) != fs::perms::none;
    files.push_back(std::move(f));
  }
  std::sort(files.begin(), files.end(), [](const scanned_file& a, const scanned_file& b) {
    return a.components < b.components;
  });
  return {};
}

}  // namespace

result<make_torrent_result> make_torrent(const make_torrent_options& opts, hash_progress* progress,
                                         const std::function<void(std::int64_t)>& tick) {
  std::error_code ec;
  const fs::path root = fs::absolute(opts.root, ec).lexically_normal();
  if (ec) return io_error(ec, opts.root);
  const auto status = fs::status(root, ec);
  if (ec) return io_error(ec, opts.root);

  fs::path name_path = root.filename().empty() ? root.parent_path().filename() : root.filename();
  metainfo::build_input in;
  in.name = name_path.string();
  if (auto why = metainfo::unsafe_component_reason(in.name)) {
    return invalid(opts.root.string() + ": unusable as a torrent name: " + std::string(*why));
  }
  make_torrent_result out;
  std::vector<hash_source> sources;
  if (fs::is_directory(status)) {
    std::vector<scanned_file> files;
    if (auto r = scan(root, files, out.skipped); !r) return r.error();
    if (files.empty()) return invalid(opts.root.string() + ": no files to share");
    in.multi_file = true;
    for (auto& f : files) {
      sources.push_back({f.path, f.length, false, true, {}, {}});
      in.files.push_back({std::move(f.components), f.length, f.executable});
    }
  } else if (fs::is_regular_file(status)) {
    const auto size = static_cast<std::int64_t>(fs::file_size(root, ec));
    if (ec) return io_error(ec, root);
    sources.push_back({root, size, false, true, {}, {}});
    in.files.push_back({{}, size, false});
  } else {
    return invalid(opts.root.string() + ": not a regular file or directory");
  }

  for (const auto& s : sources) out.total_length += s.length;
  if (out.total_length == 0) return invalid(opts.root.string() + ": nothing to share (0 bytes)");
  out.piece_length =
      opts.piece_length > 0 ? opts.piece_length : metainfo::auto_piece_length(out.total_length);

  auto hashed = hash_pieces(sources, out.piece_length, opts.threads, progress, [&] {
    if (tick) tick(out.total_length);
  });
  if (!hashed.first_problem.empty()) {
    return error{make_error_code(boost::system::errc::io_error),
                 hashed.first_problem + " (did a file change while hashing?)"};
  }
  in.piece_length = out.piece_length;
  in.piece_hashes = std::move(hashed.digests);
  in.tracker_tiers = opts.tracker_tiers;
  in.web_seeds = opts.web_seeds;
  in.is_private = opts.is_private;
  in.comment = opts.comment;
  in.created_by = opts.created_by;
  in.creation_date = opts.creation_date;
  out.torrent_bytes = metainfo::build_torrent(in);
  return out;
}

}  // namespace corrent::io

// io::torrent, the upload side: requests the logic queued (and whose peers we unchoke)
// are read from disk on the pool in batches, one buffer of ready-to-send piece messages
// per batch, and handed to the connection without a copy.
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

#include "core/wire/codec.hpp"
#include "io/storage/disk_io.hpp"
#include "io/torrent/torrent.hpp"

namespace corrent::io {
namespace asio = boost::asio;

namespace {
constexpr int max_batches_per_peer = 4;            // disk reads in flight for one peer
constexpr std::size_t blocks_per_batch = 16;       // up to 256 KiB per read task
constexpr std::size_t max_unsent_bytes = 4 << 20;  // per peer, before we stop reading
}  // namespace

void torrent::serve_all() {
  for (auto& [key, c] : conns_) serve(*c);
}

void torrent::serve(peer_connection& c) {
  if (!logic_ || !storage_) return;
  while (!serving_paused_ && !c.is_closed() && c.reads_in_flight < max_batches_per_peer &&
         c.unsent_bytes() < max_unsent_bytes) {
    batch_scratch_.clear();
    if (logic_->take_upload_batch(c.key, blocks_per_batch, host_.now(), batch_scratch_) == 0) {
      c.flush();  // requests refused past the seed ratio: their rejects go out
      return;
    }
    auto batch = std::make_shared<std::vector<swarm::block_ref>>(batch_scratch_);
    ++c.reads_in_flight;
    ++reads_in_flight_;
    std::size_t total = 0;
    for (const auto& b : *batch) total += wire::piece_header_size + b.length;
    auto buf = host_.disk().read_buffers()->get(total);
    host_.disk().post([self = shared_from_this(), key = c.key, batch, buf] {
      result<void> r;
      for (const auto& b : *batch) {
        wire::encode_piece_header(buf->data.get() + buf->size, b.piece, b.begin, b.length);
        buf->size += wire::piece_header_size;
        r = self->storage_->read_block(b.piece, b.begin, b.length, buf->data.get() + buf->size);
        if (!r) break;
        buf->size += b.length;
      }
      asio::post(self->host_.executor(), [self, key, batch, buf, r] {
        self->on_block_read(key, std::move(*batch), buf, r);
      });
    });
  }
}

void torrent::on_block_read(swarm::peer_key key, std::vector<swarm::block_ref> batch,
                            std::shared_ptr<pooled_buffer> buf, result<void> r) {
  --reads_in_flight_;
  const auto it = conns_.find(key);
  if (it == conns_.end()) return;
  auto& c = *it->second;
  --c.reads_in_flight;
  if (!r) {
    spdlog::error("cannot read data to upload: {}", r.error().message());
    c.close(peer::close_reason::local_read_error, r.error().message());
    return;
  }
  if (!logic_ || !logic_->on_upload_ready(key, batch, host_.now())) return;  // choked meanwhile
  const auto bytes = buf->view();
  c.send(std::move(buf), bytes);
  c.flush();
  process();  // a seeding limit may have been reached
  serve(c);
}

}  // namespace corrent::io

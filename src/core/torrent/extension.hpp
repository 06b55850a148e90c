// torrent::extension — one extension of the extension protocol (BEP 10) for one torrent,
// as a named handler: ut_metadata (BEP 9, metadata_extension.hpp) and ut_pex (BEP 11,
// pex_extension.hpp). torrent_logic owns one of each, offers them in our extended
// handshake under their local ids, and routes each extended message whose id is one of
// ours to the handler that owns it. Adding an extension is adding a class, not a case.
// Pure, like the logic that owns it: time is passed in.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/peer/peer_state.hpp"
#include "core/wire/extension/handshake.hpp"

namespace corrent::torrent {

class extension {
 public:
  virtual ~extension() = default;
  // Its name in `m` ("ut_metadata").
  virtual std::string_view name() const = 0;
  // Our id for it: the peer sends its messages for it with this id.
  virtual std::uint8_t local_id() const = 0;
  // Offered in our handshake now (ut_pex is not, for a private torrent).
  virtual bool offered() const { return true; }
  // Adds what it says in our extended handshake (metadata_size).
  virtual void fill_handshake(wire::ext::handshake& /*ours*/) const {}
  // The peer's extended handshake arrived (its ids are in p.ext_ids).
  virtual void on_handshake(peer::peer_state& /*p*/, const wire::ext::handshake& /*theirs*/,
                            double /*now*/) {}
  // A message for it. False: the connection must close (p.closing says why).
  virtual bool on_message(peer::peer_state& p, std::string_view payload, double now) = 0;
  virtual void on_peer_closed(peer::peer_state& /*p*/, double /*now*/) {}
  // Once a second.
  virtual void on_tick(double /*now*/) {}
  // The torrent's `info` became known.
  virtual void on_info(double /*now*/) {}
};

}  // namespace corrent::torrent

// io::peer_events — what a peer connection reports to whoever runs it (a torrent), so the
// connection never names the torrent class: messages as they are framed, the end of a
// batch of them, a finished write, and the connection's end. Called on the io_context's
// thread, never reentrantly from inside another call of the same connection.
#pragma once

#include "core/wire/message.hpp"

namespace corrent::io {

class peer_connection;

class peer_events {
 public:
  virtual ~peer_events() = default;
  // False: the connection must close (the owner gives the reason with close()).
  virtual bool on_message(peer_connection& c, const wire::message& m) = 0;
  // Every message of one read has been delivered.
  virtual void after_messages(peer_connection& c) = 0;
  // The writer emptied its queue.
  virtual void on_write_done(peer_connection& c) = 0;
  // The connection ended (close_reason() says why); the last call.
  virtual void on_closed(peer_connection& c) = 0;
};

}  // namespace corrent::io

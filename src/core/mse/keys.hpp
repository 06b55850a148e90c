// mse keys — what both sides of an MSE handshake derive from the shared secret S and the
// stream key SKEY, which for BitTorrent is the info-hash: the synchronisation hash, the
// obfuscated info-hash, and the RC4 streams (see handshake.hpp for where each goes).
#pragma once

#include "core/crypto/sha1.hpp"
#include "core/mse/dh.hpp"
#include "core/mse/stream_cipher.hpp"

namespace corrent::mse {

using sha1_digest = crypto::sha1_digest;

// HASH('req1', S): the initiator's synchronisation point.
sha1_digest req1_hash(const dh_key& s);

// HASH('req2', SKEY): the info-hash as the responder finds it. A session that accepts MSE
// connections keeps its torrents indexed by this ("obfuscated info-hash").
sha1_digest req2_hash(const sha1_digest& info_hash);

// HASH('req3', S): the mask over req2_hash on the wire.
sha1_digest req3_hash(const dh_key& s);

// The two RC4 streams of one side, the first 1024 keystream bytes of each dropped: A
// encrypts with HASH('keyA', S, SKEY) and decrypts with HASH('keyB', S, SKEY), B the
// other way round.
stream_cipher make_handshake_cipher(const dh_key& s, const sha1_digest& info_hash, bool initiator);

}  // namespace corrent::mse

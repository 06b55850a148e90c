// Precompiled header of the io layer only (never included by core or by other headers).
#pragma once
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/post.hpp>
#include <filesystem>
#include <string>
#include <vector>

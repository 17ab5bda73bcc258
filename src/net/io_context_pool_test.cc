#include "net/io_context_pool.h"

#include <future>
#include <set>
#include <stdexcept>
#include <thread>

#include <boost/asio/post.hpp>
#include <gtest/gtest.h>

namespace kura::net {
namespace {

namespace asio = boost::asio;

std::thread::id ThreadOf(asio::io_context& context) {
  std::promise<std::thread::id> id;
  asio::post(context, [&] { id.set_value(std::this_thread::get_id()); });
  return id.get_future().get();
}

TEST(IoContextPoolTest, ConnectionsTakeTheirThreadsInTurnAndNeverTheListeners) {
  IoContextPool pool(2, "test_io_exception");
  ASSERT_EQ(pool.size(), 2u);
  asio::io_context* first = &pool.Next();
  asio::io_context* second = &pool.Next();
  EXPECT_NE(first, second);
  EXPECT_EQ(&pool.Next(), first);
  EXPECT_NE(first, &pool.listener());
  EXPECT_NE(second, &pool.listener());

  pool.Run();
  std::set<std::thread::id> threads{ThreadOf(pool.listener()), ThreadOf(*first), ThreadOf(*second)};
  EXPECT_EQ(threads.size(), 3u);  // each context on a thread of its own
  EXPECT_EQ(ThreadOf(*first), ThreadOf(*first));
  pool.ReleaseWork();
  pool.Join();
}

TEST(IoContextPoolTest, AHandlerThatThrowsIsLoggedAndTheLoopGoesOn) {
  IoContextPool pool(1, "test_io_exception");
  pool.Run();
  asio::post(pool.Next(), [] { throw std::runtime_error("boom"); });
  std::promise<bool> after;
  asio::post(pool.Next(), [&] { after.set_value(true); });
  EXPECT_TRUE(after.get_future().get());
  pool.ReleaseWork();
  pool.Join();
}

}  // namespace
}  // namespace kura::net

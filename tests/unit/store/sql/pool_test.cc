// The connection pool shared by the SQL backends, over a fake connection:
// checkout, waiting, exclusive use and the two hooks.

#include "store/sql/pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <thread>
#include <vector>

namespace reportshare::store::sql {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Long enough that a thread that could go on has done so.
constexpr milliseconds kSettle{100};

// Counts its hooks and stands for the state they repair: a dead session
// (revived on checkout) and a transaction left open (rolled back on release).
struct FakeConnection {
  void OnAcquire() {
    ++acquired;
    if (on_acquire) on_acquire();
    dead = false;
  }
  void OnRelease() {
    ++released;
    in_transaction = false;
  }

  std::atomic<int> acquired{0};
  std::atomic<int> released{0};
  std::atomic<int> users{0};  // leases using it right now, counted by the test
  bool dead = false;
  bool in_transaction = false;
  std::function<void()> on_acquire;
};

using FakePool = Pool<FakeConnection>;

std::vector<std::unique_ptr<FakeConnection>> Connections(int n) {
  std::vector<std::unique_ptr<FakeConnection>> out;
  for (int i = 0; i < n; ++i) out.push_back(std::make_unique<FakeConnection>());
  return out;
}

TEST(PoolTest, HandsOutEachConnectionToOneLeaseAtATime) {
  FakePool pool(Connections(2));
  EXPECT_EQ(pool.size(), 2u);
  FakePool::Lease a = pool.Acquire();
  FakePool::Lease b = pool.Acquire();
  EXPECT_NE(&*a, &*b);
}

TEST(PoolTest, AcquireWaitsWhileAllAreLeasedAndReleaseWakesIt) {
  FakePool pool(Connections(1));
  std::promise<FakeConnection*> got;
  std::future<FakeConnection*> waiter_has = got.get_future();
  FakeConnection* first = nullptr;
  std::thread waiter;
  {
    FakePool::Lease lease = pool.Acquire();
    first = &*lease;
    waiter = std::thread([&] {
      FakePool::Lease second = pool.Acquire();
      got.set_value(&*second);
    });
    EXPECT_EQ(waiter_has.wait_for(kSettle), std::future_status::timeout)
        << "a checkout must wait while every connection is leased";
  }  // the release wakes the waiter
  ASSERT_EQ(waiter_has.wait_for(seconds{10}), std::future_status::ready);
  EXPECT_EQ(waiter_has.get(), first);
  waiter.join();
}

TEST(PoolTest, EachReleaseWakesAWaiterUntilAllAreServed) {
  FakePool pool(Connections(1));
  std::atomic<int> served{0};
  std::vector<std::thread> waiters;
  {
    FakePool::Lease lease = pool.Acquire();
    for (int i = 0; i < 3; ++i) {
      waiters.emplace_back([&] {
        FakePool::Lease mine = pool.Acquire();
        ++served;
      });
    }
    std::this_thread::sleep_for(kSettle);
    EXPECT_EQ(served.load(), 0);
  }
  for (auto& t : waiters) t.join();
  EXPECT_EQ(served.load(), 3);
}

TEST(PoolTest, NoConnectionIsEverUsedByTwoThreads) {
  constexpr int kConnections = 2;
  FakePool pool(Connections(kConnections));
  std::atomic<int> in_use{0};
  std::atomic<int> most_in_use{0};
  std::atomic<bool> shared{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        FakePool::Lease lease = pool.Acquire();
        if (lease->users.fetch_add(1) != 0) shared = true;
        int now = ++in_use;
        int seen = most_in_use.load();
        while (now > seen && !most_in_use.compare_exchange_weak(seen, now)) {
        }
        std::this_thread::yield();
        --in_use;
        lease->users.fetch_sub(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_FALSE(shared.load());
  EXPECT_LE(most_in_use.load(), kConnections);
}

TEST(PoolTest, ReleaseHookRunsBeforeTheConnectionIsHandedOutAgain) {
  FakePool pool(Connections(1));
  FakeConnection* conn = nullptr;
  {
    FakePool::Lease lease = pool.Acquire();
    conn = &*lease;
    lease->in_transaction = true;  // a caller left its transaction open
    EXPECT_EQ(conn->released.load(), 0);
  }
  EXPECT_EQ(conn->released.load(), 1);
  FakePool::Lease again = pool.Acquire();
  EXPECT_EQ(&*again, conn);
  EXPECT_FALSE(again->in_transaction);
}

TEST(PoolTest, AcquireHookRunsOnEveryCheckout) {
  FakePool pool(Connections(1));
  FakeConnection* conn = nullptr;
  {
    FakePool::Lease lease = pool.Acquire();
    conn = &*lease;
    EXPECT_EQ(conn->acquired.load(), 1);
  }
  conn->dead = true;  // the server closed it while it sat in the pool
  FakePool::Lease lease = pool.Acquire();
  EXPECT_EQ(conn->acquired.load(), 2);
  EXPECT_FALSE(lease->dead) << "revived on checkout, before the caller uses it";
}

TEST(PoolTest, ASlowAcquireHookDoesNotHoldUpOtherCheckouts) {
  auto connections = Connections(2);
  std::promise<void> unblock;
  std::shared_future<void> unblocked = unblock.get_future().share();
  std::promise<void> entered;
  // Only the connection handed out first blocks, as a reconnect would.
  std::atomic<bool> first{true};
  for (auto& c : connections) {
    c->on_acquire = [&] {
      if (first.exchange(false)) {
        entered.set_value();
        unblocked.wait();
      }
    };
  }
  FakePool pool(std::move(connections));
  std::thread slow([&] { FakePool::Lease lease = pool.Acquire(); });
  entered.get_future().wait();

  std::future<void> fast =
      std::async(std::launch::async, [&] { FakePool::Lease l = pool.Acquire(); });
  EXPECT_EQ(fast.wait_for(seconds{10}), std::future_status::ready);
  unblock.set_value();
  slow.join();
}

}  // namespace
}  // namespace reportshare::store::sql

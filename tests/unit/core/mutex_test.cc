#include "core/mutex.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>
#include <vector>

namespace reportshare::core {
namespace {

using namespace std::chrono_literals;
using std::chrono::steady_clock;
using std::chrono::system_clock;

// Timing bounds: a wait never ends before its timeout; "prompt" is generous,
// as the tests share two cores with builds.
constexpr auto kShort = 100ms;
constexpr auto kPrompt = 5s;
constexpr auto kLong = 60s;  // a wait that only a notification should end

// Whether another thread can take `mu` now (it releases it at once).
bool FreeForAnotherThread(Mutex& mu) {
  bool got = false;
  std::thread other([&mu, &got] {
    if (mu.try_lock()) {
      got = true;
      mu.unlock();
    }
  });
  other.join();
  return got;
}

TEST(MutexTest, MutexLockExcludesOtherThreads) {
  struct {
    Mutex mu;
    int counter RS_GUARDED_BY(mu) = 0;
  } shared;
  constexpr int kThreads = 8;
  constexpr int kIncrements = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&shared] {
      for (int i = 0; i < kIncrements; ++i) {
        MutexLock lock(shared.mu);
        // A read, a yield now and then, a write: a lost update if two
        // threads were ever inside at once.
        const int seen = shared.counter;
        if (i % 1000 == 0) std::this_thread::yield();
        shared.counter = seen + 1;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  MutexLock lock(shared.mu);
  EXPECT_EQ(shared.counter, kThreads * kIncrements);
}

TEST(MutexTest, TryLockFailsWhileAnotherThreadHoldsIt) {
  Mutex mu;
  {
    MutexLock lock(mu);
    EXPECT_FALSE(FreeForAnotherThread(mu));
  }
  EXPECT_TRUE(FreeForAnotherThread(mu));
}

// One condition variable under test, the threads that wait on it, and a
// second condition variable on which the test thread learns that they are
// waiting or have woken.
struct Waiters {
  Mutex mu;
  CondVar cv;        // under test
  CondVar progress;  // waiting / woken changed
  bool go RS_GUARDED_BY(mu) = false;
  int tokens RS_GUARDED_BY(mu) = 0;  // each lets one waiter through
  int waiting RS_GUARDED_BY(mu) = 0;
  int woken RS_GUARDED_BY(mu) = 0;

  // Registers as waiting, then Wait()s until `go` or a token. Once the test
  // thread has seen `waiting` and holds `mu`, the waiter is inside Wait.
  void WaitForGoOrToken() RS_EXCLUDES(mu) {
    MutexLock lock(mu);
    ++waiting;
    progress.NotifyAll();
    while (!go && tokens == 0) cv.Wait(mu);
    if (!go) --tokens;
    ++woken;
    progress.NotifyAll();
  }

  // Starts `n` threads running WaitForGoOrToken.
  explicit Waiters(int n) {
    for (int i = 0; i < n; ++i) threads.emplace_back([this] { WaitForGoOrToken(); });
  }

  // Waits up to kPrompt for `count` (waiting or woken) to reach `n`.
  bool Await(const int& count, int n) RS_REQUIRES(mu) {
    const auto deadline = steady_clock::now() + kPrompt;
    while (count < n) {
      if (!progress.WaitUntil(mu, deadline) && count < n) return false;
    }
    return true;
  }

  // Lets every waiter go and joins them, whatever the test asserted.
  ~Waiters() RS_EXCLUDES(mu) {
    {
      MutexLock lock(mu);
      go = true;
      cv.NotifyAll();
    }
    for (std::thread& t : threads) t.join();
  }

  std::vector<std::thread> threads;
};

TEST(CondVarTest, WaitWakesOnNotifyOne) {
  Waiters w(1);
  MutexLock lock(w.mu);  // released before w joins its threads
  ASSERT_TRUE(w.Await(w.waiting, 1));
  EXPECT_EQ(w.woken, 0);
  ++w.tokens;
  w.cv.NotifyOne();
  EXPECT_TRUE(w.Await(w.woken, 1)) << "NotifyOne did not wake the waiter";
}

TEST(CondVarTest, NotifyOneWakesTheWaitersOneAtATime) {
  constexpr int kWaiters = 4;
  Waiters w(kWaiters);
  MutexLock lock(w.mu);  // released before w joins its threads
  ASSERT_TRUE(w.Await(w.waiting, kWaiters));
  for (int n = 1; n <= kWaiters; ++n) {
    ++w.tokens;
    w.cv.NotifyOne();
    EXPECT_TRUE(w.Await(w.woken, n)) << "NotifyOne number " << n << " woke no waiter";
    // One token lets exactly one waiter through, however many woke.
    EXPECT_EQ(w.woken, n);
  }
}

TEST(CondVarTest, NotifyAllWakesEveryWaiter) {
  constexpr int kWaiters = 4;
  Waiters w(kWaiters);
  MutexLock lock(w.mu);  // released before w joins its threads
  ASSERT_TRUE(w.Await(w.waiting, kWaiters));
  w.go = true;
  w.cv.NotifyAll();
  EXPECT_TRUE(w.Await(w.woken, kWaiters)) << "woken: " << w.woken;
}

TEST(CondVarTest, WaitForTimesOutWithoutANotification) {
  Mutex mu;
  CondVar cv;
  MutexLock lock(mu);
  const auto start = steady_clock::now();
  EXPECT_FALSE(cv.WaitFor(mu, kShort));
  const auto elapsed = steady_clock::now() - start;
  EXPECT_GE(elapsed, kShort);
  EXPECT_LT(elapsed, kPrompt);
  // The mutex is held again.
  EXPECT_FALSE(FreeForAnotherThread(mu));
}

TEST(CondVarTest, WaitUntilTimesOutAtTheDeadlineOfEitherClock) {
  Mutex mu;
  CondVar cv;
  MutexLock lock(mu);
  const auto steady_deadline = steady_clock::now() + kShort;
  EXPECT_FALSE(cv.WaitUntil(mu, steady_deadline));
  EXPECT_GE(steady_clock::now(), steady_deadline);
  EXPECT_LT(steady_clock::now() - steady_deadline, kPrompt);

  const auto system_deadline = system_clock::now() + kShort;
  EXPECT_FALSE(cv.WaitUntil(mu, system_deadline));
  EXPECT_GE(system_clock::now(), system_deadline);
  EXPECT_LT(system_clock::now() - system_deadline, kPrompt);

  // A deadline already past returns false at once.
  const auto start = steady_clock::now();
  EXPECT_FALSE(cv.WaitUntil(mu, start - 1s));
  EXPECT_LT(steady_clock::now() - start, kPrompt);
}

enum class TimedWait { kWaitFor, kWaitUntil };

// A thread that makes one timed wait on `cv` and records what it returned.
struct TimedWaiter {
  Mutex mu;
  CondVar cv;        // under test
  CondVar progress;  // waiting / done changed
  bool waiting RS_GUARDED_BY(mu) = false;
  bool done RS_GUARDED_BY(mu) = false;
  bool result RS_GUARDED_BY(mu) = false;
  steady_clock::duration waited RS_GUARDED_BY(mu) = {};

  // Waits on `cv` once, for kLong at most.
  void Run(TimedWait how) RS_EXCLUDES(mu) {
    MutexLock lock(mu);
    waiting = true;
    progress.NotifyAll();
    const auto start = steady_clock::now();
    result = how == TimedWait::kWaitFor ? cv.WaitFor(mu, kLong)
                                        : cv.WaitUntil(mu, steady_clock::now() + kLong);
    waited = steady_clock::now() - start;
    done = true;
    progress.NotifyAll();
  }

  // Notifies `cv` once the waiter waits; returns whether it then finished.
  bool NotifyWhenWaiting() RS_EXCLUDES(mu) {
    MutexLock lock(mu);
    const auto deadline = steady_clock::now() + kPrompt;
    while (!waiting) {
      if (!progress.WaitUntil(mu, deadline) && !waiting) return false;
    }
    cv.NotifyOne();  // `mu` is ours, so the waiter is inside its wait
    while (!done) {
      if (!progress.WaitUntil(mu, deadline) && !done) return false;
    }
    return true;
  }
};

void ExpectNotifiedWaitReturnsTrue(TimedWait how) {
  TimedWaiter w;
  std::thread waiter([&w, how] { w.Run(how); });
  const bool finished = w.NotifyWhenWaiting();
  if (!finished) w.cv.NotifyAll();
  waiter.join();
  EXPECT_TRUE(finished) << "the notified waiter did not return";
  MutexLock lock(w.mu);
  EXPECT_TRUE(w.result);
  EXPECT_LT(w.waited, kPrompt);
}

TEST(CondVarTest, WaitForReturnsTrueWhenNotified) {
  ExpectNotifiedWaitReturnsTrue(TimedWait::kWaitFor);
}

TEST(CondVarTest, WaitUntilReturnsTrueWhenNotified) {
  ExpectNotifiedWaitReturnsTrue(TimedWait::kWaitUntil);
}

}  // namespace
}  // namespace reportshare::core

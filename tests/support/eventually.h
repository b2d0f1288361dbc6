#pragma once

// Waiting in a test for what another thread does in its own time:
//   EXPECT_TRUE(test_support::Eventually([&] { return Views() == 1; }));

#include <chrono>
#include <thread>

namespace reportshare::test_support {

// True once `done()` holds, polled every 2 ms; false if it still does not
// hold after `timeout`. `done` may return anything testable as a bool.
template <class Predicate>
bool Eventually(Predicate&& done,
                std::chrono::steady_clock::duration timeout = std::chrono::seconds(5)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

}  // namespace reportshare::test_support

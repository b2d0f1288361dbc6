// The deliverer end to end on one machine: a real SQLite outbox in a
// temporary directory, the real Sender, and loopback receivers in this file
// that record every request and answer as each test scripts them (a status,
// or never). Time is the system clock with a small retry base and poll
// interval: a fake clock would never bring a retry due, as the deliverer
// waits on real condition variables. Every wait is bounded (Eventually).
#include "webhooks/deliverer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/log.h"
#include "core/mutex.h"
#include "domain/webhook.h"
#include "store/sqlite/sqlite_store.h"
#include "support/capturing_log_sink.h"
#include "support/eventually.h"
#include "support/faulty_store.h"
#include "support/temp_dir.h"
#include "webhooks/sender.h"
#include "webhooks/signature.h"

namespace reportshare::webhooks {
namespace {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using asio::awaitable;
using asio::use_awaitable;
using boost::system::error_code;
using domain::Delivery;
using domain::DeliveryState;
using domain::Event;
using domain::EventType;
using domain::Webhook;
using namespace std::chrono_literals;
using Steady = std::chrono::steady_clock;
using test_support::Eventually;
using test_support::FaultyStore;
using test_support::StoreMethod;

// How long a test waits for what should happen soon.
constexpr auto kPatience = 10s;
// A server reply that never comes: the request is read and the connection
// held open until the client gives up.
constexpr int kHang = 0;

// One request as a receiver parsed it.
struct SeenRequest {
  std::string method;
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;  // as sent
  std::string body;
  Instant at;             // system clock, when it was read
  Steady::time_point tp;  // the same, on the steady clock

  // The values of every header called `name` (case-insensitive).
  std::vector<std::string> Values(std::string_view name) const {
    std::vector<std::string> out;
    for (const auto& [n, v] : headers) {
      if (n.size() == name.size() &&
          std::equal(n.begin(), n.end(), name.begin(), [](unsigned char a, unsigned char b) {
            return std::tolower(a) == std::tolower(b);
          })) {
        out.push_back(v);
      }
    }
    return out;
  }
  // The one value of header `name`, or "" when it has none or several.
  std::string Header(std::string_view name) const {
    auto values = Values(name);
    return values.size() == 1 ? values[0] : std::string();
  }
};

// An HTTP server on 127.0.0.1 and a free port, on a thread of its own. Each
// request is read whole and recorded, then answered with the next status of
// its script, or with the default once the script is used up; kHang never
// answers.
class Receiver {
 public:
  explicit Receiver(int default_reply = 200)
      : default_reply_(default_reply),
        acceptor_(ioc_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
        port_(acceptor_.local_endpoint().port()) {
    asio::co_spawn(ioc_, Accept(), asio::detached);
    thread_ = std::thread([this] { ioc_.run(); });
  }
  ~Receiver() {
    ioc_.stop();
    thread_.join();
  }
  Receiver(const Receiver&) = delete;
  Receiver& operator=(const Receiver&) = delete;

  // The replies to the next requests, in order, before the default.
  void Script(std::vector<int> replies) {
    core::MutexLock lock(mu_);
    script_.assign(replies.begin(), replies.end());
  }

  std::string Url(std::string_view path = "/hook") const {
    return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
  }

  std::vector<SeenRequest> requests() const {
    core::MutexLock lock(mu_);
    return requests_;
  }
  size_t count() const {
    core::MutexLock lock(mu_);
    return requests_.size();
  }
  // How many requests carried each webhook-id.
  std::map<std::string, int> IdCounts() const {
    std::map<std::string, int> out;
    for (const SeenRequest& r : requests()) ++out[r.Header("webhook-id")];
    return out;
  }

 private:
  awaitable<void> Accept() {
    for (;;) {
      error_code ec;
      tcp::socket socket = co_await acceptor_.async_accept(asio::redirect_error(use_awaitable, ec));
      if (ec) co_return;
      asio::co_spawn(ioc_, Serve(std::move(socket)), asio::detached);
    }
  }

  awaitable<void> Serve(tcp::socket socket) {
    boost::beast::flat_buffer buffer;
    bhttp::request_parser<bhttp::string_body> parser;
    parser.body_limit(8 * 1024 * 1024);
    error_code ec;
    co_await bhttp::async_read(socket, buffer, parser, asio::redirect_error(use_awaitable, ec));
    if (ec) co_return;
    const auto& req = parser.get();
    SeenRequest seen{std::string(req.method_string()),
                     std::string(req.target()),
                     {},
                     req.body(),
                     SystemClock().Now(),
                     Steady::now()};
    for (const auto& field : req) {
      seen.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    int reply = default_reply_;
    {
      core::MutexLock lock(mu_);
      requests_.push_back(std::move(seen));
      if (!script_.empty()) {
        reply = script_.front();
        script_.pop_front();
      }
    }
    if (reply == kHang) {
      // Hold the connection until the client closes it.
      char sink[4096];
      for (;;) {
        co_await socket.async_read_some(asio::buffer(sink),
                                        asio::redirect_error(use_awaitable, ec));
        if (ec) co_return;
      }
    }
    const std::string response = "HTTP/1.1 " + std::to_string(reply) +
                                 " Scripted\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
    co_await asio::async_write(socket, asio::buffer(response),
                               asio::redirect_error(use_awaitable, ec));
  }

  const int default_reply_;  // constant after construction

  asio::io_context ioc_;
  tcp::acceptor acceptor_;  // touched only on the server's thread once running
  const uint16_t port_;

  mutable core::Mutex mu_;
  std::deque<int> script_ RS_GUARDED_BY(mu_);
  std::vector<SeenRequest> requests_ RS_GUARDED_BY(mu_);

  std::thread thread_;
};

// The samples of a Prometheus text, by name and labels as written.
std::map<std::string, double> ParseMetrics(const std::string& text) {
  std::map<std::string, double> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const size_t space = line.rfind(' ');
    if (space == std::string::npos) continue;
    out[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return out;
}

std::string DeliveriesMetric(std::string_view type, std::string_view outcome) {
  return "reportshare_webhook_deliveries_total{event_type=\"" + std::string(type) +
         "\",outcome=\"" + std::string(outcome) + "\"}";
}

// A sample of `text`, or -1 when it has none by that name.
double Sample(const std::string& text, const std::string& name) {
  auto samples = ParseMetrics(text);
  auto it = samples.find(name);
  return it == samples.end() ? -1 : it->second;
}

int64_t UnixSeconds(Instant at) {
  return std::chrono::duration_cast<std::chrono::seconds>(at.time_since_epoch()).count();
}

class DelivererTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = store::SqliteStore::Open(DbPath(), 4);
    ASSERT_TRUE(store) << store.error().message();
    store_ = std::move(*store);
    auto company = store_->EnsureCompany("acme");
    ASSERT_TRUE(company) << company.error().message();
    company_ = *company;
  }

  std::string DbPath() const { return dir_.path() + "/rs.db"; }

  // Registers a webhook for every event type at `url`, with a secret of its
  // own (every byte value class: 0x00, 0xff and between).
  Webhook AddWebhook(const std::string& url) {
    Webhook w;
    auto id = domain::NewWebhookId();
    EXPECT_TRUE(id);
    w.webhook_id = id ? *id : "wh_000000000000000000000000";
    w.company = company_;
    w.url = url;
    w.description = "test";
    const int seed = ++webhooks_made_;
    for (size_t i = 0; i < w.secret.size(); ++i) {
      w.secret[i] = static_cast<uint8_t>(seed * 31 + static_cast<int>(i) * 53);
    }
    w.secret[0] = 0x00;
    w.secret[31] = 0xff;
    w.created_at = clock_.Now();
    EXPECT_TRUE(store_->InsertWebhook(w).ok());
    return w;
  }

  // A webhook.test event for `webhook` alone, with a fresh delivery id.
  Event TestEvent(const Webhook& webhook, std::optional<Instant> at = std::nullopt) {
    auto id = domain::NewDeliveryId();
    EXPECT_TRUE(id);
    return domain::WebhookTestEvent(company_, webhook.webhook_id, id ? *id : "msg_x",
                                    at.value_or(clock_.Now()));
  }

  // An event of `type` for `webhook` alone, with a body of our own.
  Event TypedEvent(const Webhook& webhook, EventType type, int n) {
    auto id = domain::NewDeliveryId();
    EXPECT_TRUE(id);
    const Instant at = clock_.Now();
    return Event{company_,
                 type,
                 at,
                 R"({"type":")" + std::string(domain::EventTypeName(type)) + R"(","n":)" +
                     std::to_string(n) + "}",
                 webhook.webhook_id,
                 id ? *id : "msg_x"};
  }

  void Write(const std::vector<Event>& events) {
    Status s = store_->InsertEvents(events);
    ASSERT_TRUE(s.ok()) << s.message();
  }

  std::vector<Delivery> Deliveries(const Webhook& webhook) {
    auto list = store_->ListDeliveries(webhook.webhook_id, 1000);
    EXPECT_TRUE(list);
    return list ? *list : std::vector<Delivery>{};
  }

  std::optional<Delivery> Find(const Webhook& webhook, const std::string& delivery_id) {
    for (Delivery& d : Deliveries(webhook)) {
      if (d.delivery_id == delivery_id) return d;
    }
    return std::nullopt;
  }

  // True once every delivery of `webhook` is delivered (and there are `n`).
  bool AllDelivered(const Webhook& webhook, size_t n) {
    auto list = Deliveries(webhook);
    return list.size() == n && std::all_of(list.begin(), list.end(), [](const Delivery& d) {
             return d.state() == DeliveryState::kDelivered;
           });
  }

  std::optional<Webhook> Get(const Webhook& webhook) {
    auto got = store_->GetWebhook(webhook.webhook_id);
    EXPECT_TRUE(got);
    return got ? *got : std::nullopt;
  }

  static DelivererOptions Options() {
    DelivererOptions options;
    options.retry_base = 50ms;
    options.poll_interval = 50ms;
    options.lease = 1s;
    return options;
  }

  std::unique_ptr<Deliverer> Start(store::Store& store, DelivererOptions options,
                                   std::chrono::milliseconds timeout = 500ms) {
    SenderOptions sender_options;
    sender_options.allow_private = true;
    sender_options.timeout = timeout;
    auto sender = Sender::Create(sender_options);
    EXPECT_TRUE(sender) << (sender ? "" : sender.error().message());
    if (!sender) return nullptr;
    return std::make_unique<Deliverer>(store, clock_, std::move(*sender), options);
  }
  std::unique_ptr<Deliverer> Start(DelivererOptions options = Options(),
                                   std::chrono::milliseconds timeout = 500ms) {
    return Start(*store_, options, timeout);
  }

  // While every call of `method` fails, nothing is sent and nothing changes;
  // once the store heals, every delivery is sent exactly once.
  void ExpectNothingSentDuringAnOutageOf(StoreMethod method) {
    Receiver receiver;
    Webhook a = AddWebhook(receiver.Url("/a"));
    Webhook b = AddWebhook(receiver.Url("/b"));
    std::vector<Event> events = {TestEvent(a), TestEvent(a), TestEvent(b)};
    Write(events);
    FaultyStore faulty(*store_);
    faulty.FailMethod(method);
    auto deliverer = Start(faulty, Options());
    ASSERT_TRUE(deliverer);

    // Several polls fail, and a Wake too...
    ASSERT_TRUE(Eventually(
        [&] {
          auto calls = faulty.CallsOf(method);
          return std::count_if(calls.begin(), calls.end(),
                               [](const FaultyStore::Call& c) { return c.failed; }) >= 5;
        },
        kPatience));
    const size_t calls_so_far = faulty.CallsOf(method).size();
    deliverer->Wake();
    ASSERT_TRUE(
        Eventually([&] { return faulty.CallsOf(method).size() > calls_so_far + 1; }, kPatience));
    // ... and nothing went out or changed.
    EXPECT_EQ(receiver.count(), 0u);
    for (const Webhook* w : {&a, &b}) {
      for (const Delivery& d : Deliveries(*w)) {
        EXPECT_EQ(d.attempts, 0);
        EXPECT_EQ(d.state(), DeliveryState::kPending);
      }
    }

    faulty.Heal();
    ASSERT_TRUE(Eventually([&] { return AllDelivered(a, 2) && AllDelivered(b, 1); }, kPatience));
    auto ids = receiver.IdCounts();
    EXPECT_EQ(ids.size(), 3u);
    for (const Event& e : events) EXPECT_EQ(ids[*e.delivery_id], 1) << *e.delivery_id;
    for (const Webhook* w : {&a, &b}) {
      for (const Delivery& d : Deliveries(*w)) EXPECT_EQ(d.attempts, 1);
    }
  }

  test_support::TempDir dir_{"rs_deliverer_test_"};
  SystemClock clock_;
  std::unique_ptr<store::SqliteStore> store_;
  CompanyId company_{};
  int webhooks_made_ = 0;
};

TEST(DelivererRetryDelay, FollowsTheScheduleScaledToTheBase) {
  EXPECT_EQ(RetryDelay(1, 5s), std::chrono::microseconds(5s));
  EXPECT_EQ(RetryDelay(2, 5s), std::chrono::microseconds(30s));
  EXPECT_EQ(RetryDelay(3, 5s), std::chrono::microseconds(2min));
  EXPECT_EQ(RetryDelay(9, 5s), std::chrono::microseconds(12h));
  // The base scales every step: 5 s -> 1 s divides them all by 5.
  EXPECT_EQ(RetryDelay(1, 1s), std::chrono::microseconds(1s));
  EXPECT_EQ(RetryDelay(2, 1s), std::chrono::microseconds(6s));
  EXPECT_EQ(RetryDelay(9, 1s), std::chrono::microseconds(144min));
  EXPECT_EQ(RetryDelay(4, 20ms), std::chrono::microseconds(2400ms));
  // A long base does not overflow.
  EXPECT_EQ(RetryDelay(9, 24h), std::chrono::microseconds(std::chrono::hours(12 * 17280)));
  // After the 10th attempt there is none; attempts count from 1.
  EXPECT_EQ(kMaxAttempts, 10);
  EXPECT_EQ(RetryDelay(10, 5s), std::nullopt);
  EXPECT_EQ(RetryDelay(0, 5s), std::nullopt);
  EXPECT_EQ(RetryDelay(-1, 5s), std::nullopt);
}

TEST_F(DelivererTest, DeliversAnEventWrittenBeforeItStartedOnceAndSigned) {
  Receiver receiver;
  Webhook hook = AddWebhook(receiver.Url("/in/hook?x=1"));
  const Event event = TestEvent(hook);
  Write({event});
  const Instant before = clock_.Now();
  auto deliverer = Start();
  ASSERT_TRUE(deliverer);

  ASSERT_TRUE(Eventually(
      [&] {
        auto d = Find(hook, *event.delivery_id);
        return d && d->delivered_at;
      },
      kPatience));
  const Instant after = clock_.Now();

  auto seen = receiver.requests();
  ASSERT_EQ(seen.size(), 1u);
  const SeenRequest& r = seen[0];
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.target, "/in/hook?x=1");
  EXPECT_EQ(r.Header("webhook-id"), *event.delivery_id);
  EXPECT_EQ(r.Header("Content-Type"), "application/json");
  EXPECT_EQ(r.body, event.body);
  const std::string timestamp = r.Header("webhook-timestamp");
  ASSERT_FALSE(timestamp.empty());
  ASSERT_EQ(timestamp.find_first_not_of("0123456789"), std::string::npos) << timestamp;
  const int64_t ts = std::stoll(timestamp);
  EXPECT_GE(ts, UnixSeconds(before) - 1);
  EXPECT_LE(ts, UnixSeconds(after) + 1);
  EXPECT_EQ(r.Header("webhook-signature"),
            SignatureHeader(hook.secret, *event.delivery_id, ts, event.body));
  EXPECT_EQ(r.Values("webhook-signature").size(), 1u);

  auto d = Find(hook, *event.delivery_id);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->attempts, 1);
  EXPECT_EQ(d->last_status, 200);
  EXPECT_EQ(d->last_error, std::nullopt);
  ASSERT_TRUE(d->delivered_at);
  EXPECT_GE(*d->delivered_at, before);
  EXPECT_LE(*d->delivered_at, after);
  EXPECT_EQ(d->next_attempt_at, std::nullopt);
  EXPECT_EQ(d->state(), DeliveryState::kDelivered);
  EXPECT_EQ(receiver.count(), 1u);
}

TEST_F(DelivererTest, WakeSendsAtOnceWithoutWaitingForThePoll) {
  Receiver receiver;
  Webhook hook = AddWebhook(receiver.Url());
  DelivererOptions options = Options();
  options.poll_interval = 10s;
  auto deliverer = Start(options);
  ASSERT_TRUE(deliverer);
  const Event event = TestEvent(hook);
  Write({event});
  deliverer->Wake();
  EXPECT_TRUE(Eventually([&] { return receiver.count() == 1; }, 2s));
  EXPECT_TRUE(Eventually(
      [&] {
        auto d = Find(hook, *event.delivery_id);
        return d && d->delivered_at;
      },
      2s));
  ASSERT_EQ(receiver.count(), 1u);
  EXPECT_EQ(receiver.requests()[0].Header("webhook-id"), *event.delivery_id);

  // And again: a Wake is not used up by the first.
  const Event second = TestEvent(hook);
  Write({second});
  deliverer->Wake();
  EXPECT_TRUE(Eventually([&] { return receiver.count() == 2; }, 2s));
}

TEST_F(DelivererTest, RetriesAServerErrorWithTheSameIdAndDeliversOnTheSecondAttempt) {
  Receiver receiver;
  receiver.Script({500});
  Webhook hook = AddWebhook(receiver.Url());
  const Event event = TestEvent(hook);
  Write({event});
  auto deliverer = Start();
  ASSERT_TRUE(deliverer);

  ASSERT_TRUE(Eventually(
      [&] {
        auto d = Find(hook, *event.delivery_id);
        return d && d->delivered_at;
      },
      kPatience));
  auto seen = receiver.requests();
  ASSERT_EQ(seen.size(), 2u);
  for (const SeenRequest& r : seen) {
    EXPECT_EQ(r.Header("webhook-id"), *event.delivery_id);
    EXPECT_EQ(r.body, event.body);
    const int64_t ts = std::stoll(r.Header("webhook-timestamp"));
    EXPECT_EQ(r.Header("webhook-signature"),
              SignatureHeader(hook.secret, *event.delivery_id, ts, event.body));
  }
  // Not before the first retry delay (the base, less 10% jitter).
  EXPECT_GE(seen[1].tp - seen[0].tp, 45ms);

  auto d = Find(hook, *event.delivery_id);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->attempts, 2);
  EXPECT_EQ(d->last_status, 200);
  EXPECT_EQ(d->last_error, std::nullopt);
  EXPECT_EQ(d->next_attempt_at, std::nullopt);
  EXPECT_TRUE(Eventually(
      [&] {
        const std::string m = deliverer->MetricsText();
        return Sample(m, DeliveriesMetric("webhook.test", "retry")) == 1 &&
               Sample(m, DeliveriesMetric("webhook.test", "delivered")) == 1;
      },
      kPatience))
      << deliverer->MetricsText();
}

TEST_F(DelivererTest, KeepsRetryingAFailingReceiverOnTheScaledScheduleWithJitter) {
  Receiver receiver(500);
  Webhook hook = AddWebhook(receiver.Url());
  const Event event = TestEvent(hook);
  Write({event});
  DelivererOptions options = Options();
  options.retry_base = 20ms;  // retries after 20, 120, 480 ms, then 2.4 s
  auto deliverer = Start(options);
  ASSERT_TRUE(deliverer);

  ASSERT_TRUE(Eventually(
      [&] {
        auto d = Find(hook, *event.delivery_id);
        return d && d->attempts >= 4;
      },
      kPatience));
  const Instant now = clock_.Now();
  auto d = Find(hook, *event.delivery_id);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->attempts, 4);  // the 5th is 2.4 s away
  EXPECT_EQ(d->state(), DeliveryState::kPending);
  EXPECT_EQ(d->last_status, 500);
  EXPECT_EQ(d->last_error, "HTTP 500");
  EXPECT_EQ(d->delivered_at, std::nullopt);
  ASSERT_TRUE(d->next_attempt_at);
  EXPECT_GT(*d->next_attempt_at, now);

  auto seen = receiver.requests();
  ASSERT_EQ(seen.size(), 4u);
  for (const SeenRequest& r : seen) EXPECT_EQ(r.Header("webhook-id"), *event.delivery_id);
  // Each retry came no sooner than its delay less 10%.
  const std::chrono::milliseconds delays[] = {20ms, 120ms, 480ms};
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_GE(seen[i + 1].tp - seen[i].tp, delays[i] * 9 / 10) << "retry " << i + 1;
  }
  // The next one is scheduled 2.4 s ± 10% after the 4th attempt ended.
  const auto ahead = *d->next_attempt_at - seen[3].at;
  EXPECT_GE(ahead, 2160ms);
  EXPECT_LE(ahead, 2640ms + 500ms);

  EXPECT_TRUE(Eventually(
      [&] {
        return Sample(deliverer->MetricsText(), DeliveriesMetric("webhook.test", "retry")) == 4;
      },
      kPatience))
      << deliverer->MetricsText();
  EXPECT_EQ(Sample(deliverer->MetricsText(), DeliveriesMetric("webhook.test", "delivered")), -1);
}

TEST_F(DelivererTest, FailsADeliveryAfterTheTenthAttempt) {
  Receiver receiver(500);
  Webhook hook = AddWebhook(receiver.Url());
  const Event event = TestEvent(hook);
  Write({event});
  DelivererOptions options = Options();
  options.retry_base = 100us;  // the nine delays add up to about 1.6 s
  auto deliverer = Start(options);
  ASSERT_TRUE(deliverer);

  ASSERT_TRUE(Eventually(
      [&] {
        auto d = Find(hook, *event.delivery_id);
        return d && d->state() == DeliveryState::kFailed;
      },
      kPatience));
  auto d = Find(hook, *event.delivery_id);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->attempts, kMaxAttempts);
  EXPECT_EQ(d->last_status, 500);
  EXPECT_EQ(d->last_error, "HTTP 500");
  EXPECT_EQ(d->delivered_at, std::nullopt);
  EXPECT_EQ(d->next_attempt_at, std::nullopt);
  EXPECT_EQ(receiver.count(), static_cast<size_t>(kMaxAttempts));
  EXPECT_TRUE(Eventually(
      [&] {
        const std::string m = deliverer->MetricsText();
        return Sample(m, DeliveriesMetric("webhook.test", "retry")) == kMaxAttempts - 1 &&
               Sample(m, DeliveriesMetric("webhook.test", "failed")) == 1;
      },
      kPatience))
      << deliverer->MetricsText();
}

TEST_F(DelivererTest, GoneDisablesTheWebhookFailsItsPendingDeliveriesAndSendsNothingMore) {
  Receiver gone(410);
  Receiver other;
  Webhook hook = AddWebhook(gone.Url());
  Webhook bystander = AddWebhook(other.Url());
  const Instant t = clock_.Now();
  std::vector<Event> events = {TestEvent(hook, t - 3s), TestEvent(hook, t - 2s),
                               TestEvent(hook, t - 1s), TestEvent(bystander)};
  Write(events);
  DelivererOptions options = Options();
  options.max_per_webhook = 1;  // one attempt at a time: the others are still pending at the 410
  const Instant before = clock_.Now();
  auto deliverer = Start(options);
  ASSERT_TRUE(deliverer);

  ASSERT_TRUE(Eventually(
      [&] {
        auto w = Get(hook);
        return w && w->disabled_at;
      },
      kPatience));
  const Instant after = clock_.Now();
  auto w = Get(hook);
  ASSERT_TRUE(w && w->disabled_at);
  EXPECT_GE(*w->disabled_at, before);
  EXPECT_LE(*w->disabled_at, after);

  ASSERT_EQ(gone.count(), 1u);
  const std::string sent = gone.requests()[0].Header("webhook-id");
  EXPECT_EQ(sent, *events[0].delivery_id);  // the oldest due goes first
  auto list = Deliveries(hook);
  ASSERT_EQ(list.size(), 3u);
  for (const Delivery& d : list) {
    EXPECT_EQ(d.state(), DeliveryState::kFailed) << d.delivery_id;
    EXPECT_EQ(d.next_attempt_at, std::nullopt);
    EXPECT_EQ(d.delivered_at, std::nullopt);
    if (d.delivery_id == sent) {
      EXPECT_EQ(d.attempts, 1);
      EXPECT_EQ(d.last_status, 410);
      EXPECT_EQ(d.last_error, "HTTP 410");
    } else {
      EXPECT_EQ(d.attempts, 0);
      EXPECT_EQ(d.last_status, std::nullopt);
      EXPECT_EQ(d.last_error, "webhook disabled");
    }
  }
  // The company's other webhook is not touched.
  EXPECT_TRUE(Eventually([&] { return AllDelivered(bystander, 1); }, kPatience));
  EXPECT_FALSE(Get(bystander)->disabled_at);

  // Later events reach the other webhook, never the disabled one.
  Event fan_out{company_,    EventType::kReportUpdated, clock_.Now(), R"({"n":1})", std::nullopt,
                std::nullopt};
  Write({fan_out, TestEvent(hook)});
  deliverer->Wake();
  EXPECT_TRUE(Eventually([&] { return AllDelivered(bystander, 2); }, kPatience));
  EXPECT_EQ(other.count(), 2u);
  EXPECT_EQ(gone.count(), 1u);
  EXPECT_EQ(Deliveries(hook).size(), 3u);
  EXPECT_TRUE(Eventually(
      [&] {
        return Sample(deliverer->MetricsText(), DeliveriesMetric("webhook.test", "disabled")) == 1;
      },
      kPatience))
      << deliverer->MetricsText();
}

TEST_F(DelivererTest, AHangingReceiverTimesOutIsRetriedAndHoldsUpNoOtherWebhook) {
  Receiver dead(kHang);
  Receiver live;
  Webhook stuck = AddWebhook(dead.Url("/dead"));
  Webhook fine = AddWebhook(live.Url("/live"));
  const Instant t = clock_.Now();
  Write({TestEvent(stuck, t - 3s), TestEvent(stuck, t - 2s), TestEvent(stuck, t - 1s)});
  DelivererOptions options = Options();
  options.max_in_flight = 8;
  options.max_per_webhook = 2;
  options.lease = 5s;
  auto deliverer = Start(options, /*timeout=*/2s);
  ASSERT_TRUE(deliverer);

  // Two attempts hang (the endpoint's share); the third delivery waits.
  ASSERT_TRUE(Eventually([&] { return dead.count() == 2; }, kPatience));
  std::vector<Event> events = {TestEvent(fine), TestEvent(fine), TestEvent(fine)};
  Write(events);
  deliverer->Wake();
  ASSERT_TRUE(Eventually([&] { return AllDelivered(fine, 3); }, kPatience));
  // Delivered while the dead endpoint's attempts still hang: none has ended.
  for (const Delivery& d : Deliveries(stuck)) {
    EXPECT_EQ(d.attempts, 0) << d.delivery_id;
  }
  EXPECT_EQ(dead.count(), 2u);
  EXPECT_EQ(live.count(), 3u);

  // Then they time out, are scheduled again, and retried (the third too).
  ASSERT_TRUE(Eventually(
      [&] {
        auto list = Deliveries(stuck);
        return std::count_if(list.begin(), list.end(),
                             [](const Delivery& d) { return d.attempts >= 1; }) >= 2;
      },
      kPatience));
  for (const Delivery& d : Deliveries(stuck)) {
    if (d.attempts == 0) continue;
    EXPECT_EQ(d.last_error, "timed out after 2 s") << d.delivery_id;
    EXPECT_EQ(d.last_status, std::nullopt);
    EXPECT_EQ(d.state(), DeliveryState::kPending);
  }
  EXPECT_TRUE(Eventually([&] { return dead.IdCounts().size() == 3; }, kPatience));
  EXPECT_TRUE(Eventually([&] { return dead.count() >= 4; }, kPatience));
}

TEST_F(DelivererTest, AnAttemptNotRecordedIsSentAgainWhenItsLeaseRunsOut) {
  test_support::ScopedLogCapture log;
  Receiver receiver;
  Webhook hook = AddWebhook(receiver.Url());
  const Event event = TestEvent(hook);
  Write({event});
  FaultyStore faulty(*store_);
  faulty.FailMethod(StoreMethod::kFinishAttempts, 1);
  auto deliverer = Start(faulty, Options());  // lease 1 s
  ASSERT_TRUE(deliverer);

  ASSERT_TRUE(Eventually(
      [&] {
        auto d = Find(hook, *event.delivery_id);
        return d && d->delivered_at;
      },
      kPatience));
  auto seen = receiver.requests();
  ASSERT_GE(seen.size(), 2u);
  for (const SeenRequest& r : seen) EXPECT_EQ(r.Header("webhook-id"), *event.delivery_id);
  // Sent again once the lease ran out, not at the retry base.
  EXPECT_GE(seen[1].tp - seen[0].tp, 500ms);
  auto d = Find(hook, *event.delivery_id);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->last_status, 200);
  EXPECT_EQ(d->next_attempt_at, std::nullopt);
  EXPECT_GE(d->attempts, 1);

  auto failed = faulty.CallsOf(StoreMethod::kFinishAttempts);
  ASSERT_GE(failed.size(), 2u);
  EXPECT_TRUE(failed[0].failed);
  EXPECT_FALSE(failed[1].failed);
  auto warnings =
      log->Matching("webhooks", core::LogLevel::kWarning, "could not record delivery attempts");
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0].Field("count"), "1");
  EXPECT_EQ(warnings[0].Field("error"), "database unavailable");
}

TEST_F(DelivererTest, AClaimWhoseWebhookCannotBeReadIsSentWhenItsLeaseRunsOut) {
  Receiver receiver;
  Webhook hook = AddWebhook(receiver.Url());
  const Event event = TestEvent(hook);
  Write({event});
  FaultyStore faulty(*store_);
  faulty.FailMethod(StoreMethod::kGetWebhook, 1);
  auto deliverer = Start(faulty, Options());  // lease 1 s
  ASSERT_TRUE(deliverer);

  ASSERT_TRUE(Eventually(
      [&] {
        auto d = Find(hook, *event.delivery_id);
        return d && d->delivered_at;
      },
      kPatience));
  auto seen = receiver.requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].Header("webhook-id"), *event.delivery_id);
  auto reads = faulty.CallsOf(StoreMethod::kGetWebhook);
  ASSERT_GE(reads.size(), 2u);
  EXPECT_TRUE(reads[0].failed);
  // Claimed by the failed read's poll, so not due again before its lease ended.
  EXPECT_GE(seen[0].tp - reads[0].at, 800ms);
  auto d = Find(hook, *event.delivery_id);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->attempts, 1);
  EXPECT_EQ(d->last_status, 200);
}

TEST_F(DelivererTest, SendsNothingWhileDueWebhooksFailsThenEverythingOnce) {
  ExpectNothingSentDuringAnOutageOf(StoreMethod::kDueWebhooks);
}

TEST_F(DelivererTest, SendsNothingWhileClaimDeliveriesFailsThenEverythingOnce) {
  ExpectNothingSentDuringAnOutageOf(StoreMethod::kClaimDeliveries);
}

TEST_F(DelivererTest, TwoNodesOnOneDatabaseDeliverEachEventExactlyOnce) {
  Receiver receiver;
  std::vector<Webhook> hooks;
  for (int i = 0; i < 4; ++i) hooks.push_back(AddWebhook(receiver.Url("/h" + std::to_string(i))));
  // The second node: its own store on the same database file.
  auto other = store::SqliteStore::Open(DbPath(), 4);
  ASSERT_TRUE(other) << other.error().message();
  std::vector<Event> events;
  for (int i = 0; i < 200; ++i) events.push_back(TestEvent(hooks[static_cast<size_t>(i % 4)]));
  // Half before the nodes start, half while they run.
  Write(std::vector<Event>(events.begin(), events.begin() + 100));
  DelivererOptions options = Options();
  options.lease = 30s;
  auto node1 = Start(*store_, options, /*timeout=*/10s);
  auto node2 = Start(**other, options, /*timeout=*/10s);
  ASSERT_TRUE(node1 && node2);
  for (int i = 100; i < 200; i += 20) {
    Write(std::vector<Event>(events.begin() + i, events.begin() + i + 20));
    node1->Wake();
    node2->Wake();
  }

  ASSERT_TRUE(Eventually(
      [&] {
        return std::all_of(hooks.begin(), hooks.end(),
                           [&](const Webhook& h) { return AllDelivered(h, 50); });
      },
      20s));
  auto ids = receiver.IdCounts();
  EXPECT_EQ(ids.size(), 200u);
  for (const Event& e : events) EXPECT_EQ(ids[*e.delivery_id], 1) << *e.delivery_id;
  for (const Webhook& h : hooks) {
    for (const Delivery& d : Deliveries(h)) EXPECT_EQ(d.attempts, 1) << d.delivery_id;
  }
  // Every request went to its own webhook's path.
  std::map<std::string, std::string> path_of;
  for (size_t i = 0; i < events.size(); ++i) {
    path_of[*events[i].delivery_id] = "/h" + std::to_string(i % 4);
  }
  for (const SeenRequest& r : receiver.requests()) {
    EXPECT_EQ(r.target, path_of[r.Header("webhook-id")]);
  }
  // The two nodes' counts add up to the deliveries.
  EXPECT_TRUE(Eventually(
      [&] {
        auto n1 = Sample(node1->MetricsText(), DeliveriesMetric("webhook.test", "delivered"));
        auto n2 = Sample(node2->MetricsText(), DeliveriesMetric("webhook.test", "delivered"));
        return std::max(n1, 0.0) + std::max(n2, 0.0) == 200;
      },
      kPatience));
}

TEST_F(DelivererTest, DestroyingItWhileAttemptsHangReturnsPromptlyAndLeavesThemDueAtOnce) {
  Receiver receiver;
  receiver.Script({kHang, kHang, kHang, kHang, kHang});  // then 200
  Webhook hook = AddWebhook(receiver.Url());
  std::vector<Event> events;
  for (int i = 0; i < 5; ++i) events.push_back(TestEvent(hook));
  Write(events);
  DelivererOptions options = Options();
  options.lease = 30s;
  auto deliverer = Start(options, /*timeout=*/30s);
  ASSERT_TRUE(deliverer);
  ASSERT_TRUE(Eventually([&] { return receiver.count() == 5; }, kPatience));

  const auto start = Steady::now();
  deliverer.reset();
  EXPECT_LT(Steady::now() - start, 2s);
  // Each attempt cut short is recorded as such and due at once, its claim
  // dropped...
  const Instant now = clock_.Now();
  auto list = Deliveries(hook);
  ASSERT_EQ(list.size(), 5u);
  for (const Delivery& d : list) {
    EXPECT_EQ(d.attempts, 1) << d.delivery_id;
    EXPECT_EQ(d.last_error, "interrupted: the server stopped");
    EXPECT_EQ(d.last_status, std::nullopt);
    EXPECT_EQ(d.delivered_at, std::nullopt);
    ASSERT_TRUE(d.next_attempt_at);
    EXPECT_LE(*d.next_attempt_at, now);
  }
  auto due = store_->DueWebhooks(now, 10);
  ASSERT_TRUE(due);
  EXPECT_EQ(*due, std::vector<std::string>{hook.webhook_id});

  // ... so the next node sends them without waiting out the 30 s leases.
  auto next = Start(options);
  ASSERT_TRUE(next);
  ASSERT_TRUE(Eventually([&] { return AllDelivered(hook, 5); }, kPatience));
  auto ids = receiver.IdCounts();
  ASSERT_EQ(ids.size(), 5u);
  for (const Event& e : events) EXPECT_EQ(ids[*e.delivery_id], 2) << *e.delivery_id;
  for (const Delivery& d : Deliveries(hook)) {
    EXPECT_EQ(d.attempts, 2);
    EXPECT_EQ(d.last_status, 200);
  }
}

TEST_F(DelivererTest, DestroyingAnIdleOneReturnsPromptly) {
  DelivererOptions options = Options();
  options.poll_interval = 10s;
  auto deliverer = Start(options);
  ASSERT_TRUE(deliverer);
  // Its thread waits for the next poll, 10 s away, or a notification.
  std::this_thread::sleep_for(50ms);
  const auto start = Steady::now();
  deliverer.reset();
  EXPECT_LT(Steady::now() - start, 2s);
}

TEST_F(DelivererTest, MetricsCountOutcomesByTypeAndShowTheOutbox) {
  Receiver ok;
  Receiver failing(500);
  Webhook good = AddWebhook(ok.Url());
  Webhook bad = AddWebhook(failing.Url());
  // The failing webhook's event is 100 s old, and its retry 10 s away.
  const Event old = TestEvent(bad, clock_.Now() - 100s);
  Write({TestEvent(good), TestEvent(good), TypedEvent(good, EventType::kReportUpdated, 1),
         TypedEvent(good, EventType::kLinkViewed, 2), old});
  DelivererOptions options = Options();
  options.retry_base = 10s;
  auto deliverer = Start(options);
  ASSERT_TRUE(deliverer);

  ASSERT_TRUE(Eventually([&] { return AllDelivered(good, 4); }, kPatience));
  std::string text;
  ASSERT_TRUE(Eventually(
      [&] {
        text = deliverer->MetricsText();
        return Sample(text, "reportshare_webhook_outbox_pending") == 1 &&
               Sample(text, DeliveriesMetric("webhook.test", "retry")) == 1;
      },
      kPatience))
      << text;
  EXPECT_EQ(Sample(text, DeliveriesMetric("webhook.test", "delivered")), 2) << text;
  EXPECT_EQ(Sample(text, DeliveriesMetric("report.updated", "delivered")), 1) << text;
  EXPECT_EQ(Sample(text, DeliveriesMetric("link.viewed", "delivered")), 1) << text;
  EXPECT_EQ(Sample(text, DeliveriesMetric("link.created", "delivered")), -1) << text;
  const double age = Sample(text, "reportshare_webhook_outbox_oldest_age_seconds");
  EXPECT_GE(age, 100) << text;
  EXPECT_LT(age, 115) << text;
  EXPECT_NE(text.find("# TYPE reportshare_webhook_deliveries_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE reportshare_webhook_outbox_pending gauge\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE reportshare_webhook_outbox_oldest_age_seconds gauge\n"),
            std::string::npos);
  // Every sample line is a known metric.
  for (const auto& [name, value] : ParseMetrics(text)) {
    EXPECT_TRUE(name.rfind("reportshare_webhook_deliveries_total{", 0) == 0 ||
                name == "reportshare_webhook_outbox_pending" ||
                name == "reportshare_webhook_outbox_oldest_age_seconds")
        << name;
  }
}

}  // namespace
}  // namespace reportshare::webhooks

#include "render/worker/pool.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <string_view>
#include <utility>

#include "core/log.h"
#include "core/mutex.h"
#include "render/worker/child.h"
#include "render/worker/protocol.h"

extern char** environ;

namespace reportshare::render::worker {
namespace {

using Clock = FrameClock;

struct Worker {
  pid_t pid = -1;
  int fd = -1;         // our end of the socketpair, non-blocking
  bool ready = false;  // its ready frame was read
  bool alive() const { return pid > 0; }
};

// "exit status 1", "killed by signal 11".
std::string DescribeExit(int wstatus) {
  if (WIFSIGNALED(wstatus)) return "killed by signal " + std::to_string(WTERMSIG(wstatus));
  if (WIFEXITED(wstatus)) return "exit status " + std::to_string(WEXITSTATUS(wstatus));
  return "stopped";
}

class WorkerPool final : public ReportRenderer {
 public:
  explicit WorkerPool(WorkerPoolOptions options)
      : options_(std::move(options)), in_process_(MakeBasicRenderer()) {}

  ~WorkerPool() override {
    core::MutexLock lock(mu_);
    for (Worker& w : idle_) Stop(w);
  }

  // Spawns every worker; kInternal naming the reason if one cannot start.
  Status Start() {
    core::MutexLock lock(mu_);
    for (int i = 0; i < options_.workers; ++i) {
      auto w = Spawn();
      if (!w) return w.error();
      idle_.push_back(*w);
    }
    return Status::Ok();
  }

  Result<std::string> RenderPdf(const StoredReport& report, Instant generated_at,
                                const RenderOptions& options) const override {
    const std::string request = EncodeRequest(report, generated_at, options);
    Worker w = Take();
    if (w.alive() && HasExited(w)) {
      // It died between renders (killed, out of memory): no request was
      // lost, so replace it without failing this one.
      Replace(w, "exited while idle", /*give=*/false);
    }
    if (!w.alive()) {
      auto spawned = Spawn();
      if (!spawned) {
        Give(Worker{});
        return Status::Unavailable("PDF rendering is unavailable; try again later");
      }
      w = *spawned;
    }
    auto reply = Exchange(w, request);
    if (!reply) {
      Replace(w, reply.error().message());
      return Status::Unavailable("PDF rendering failed; try again");
    }
    std::optional<Result<std::string>> pdf = DecodeReply(*reply);
    if (!pdf) {
      Replace(w, "malformed reply");
      return Status::Unavailable("PDF rendering failed; try again");
    }
    if (!*pdf && pdf->error().code() == Code::kUnavailable) {
      Replace(w, pdf->error().message());  // it exits by itself; make sure
      return std::move(*pdf);
    }
    Give(w);
    return std::move(*pdf);
  }

  std::string RenderHtml(const StoredReport& report, Instant generated_at,
                         const RenderOptions& options) const override {
    return in_process_->RenderHtml(report, generated_at, options);
  }

  int Parallelism() const override { return options_.workers; }

 private:
  // An idle worker (possibly an empty slot to spawn into); waits for one.
  Worker Take() const RS_EXCLUDES(mu_) {
    core::MutexLock lock(mu_);
    while (idle_.empty()) available_.Wait(mu_);
    // The longest idle first, so renders rotate over the workers and a
    // worker that died idle is found soon.
    Worker w = idle_.front();
    idle_.pop_front();
    return w;
  }

  void Give(Worker w) const RS_EXCLUDES(mu_) {
    {
      core::MutexLock lock(mu_);
      idle_.push_back(w);
    }
    available_.NotifyOne();
  }

  // Kills a failed worker and puts a fresh one (or, if that cannot start,
  // an empty slot the next render retries) in its place.
  // With `give` false the fresh worker (or the empty slot) is left in `w`
  // for the caller instead.
  void Replace(Worker& w, std::string_view why, bool give = true) const RS_EXCLUDES(mu_) {
    pid_t pid = w.pid;
    std::string exit = Stop(w);
    core::LogWarning("render", "render worker failed; replacing it",
                     {{"pid", static_cast<int64_t>(pid)}, {"reason", why}, {"exit", exit}});
    auto fresh = Spawn();
    w = fresh ? *fresh : Worker{};
    if (give) Give(std::exchange(w, Worker{}));
  }

  // True if `w` has exited (it is then a zombie until Stop reaps it).
  static bool HasExited(const Worker& w) {
    siginfo_t info{};
    return ::waitid(P_PID, static_cast<id_t>(w.pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
           info.si_pid == w.pid;
  }

  // Kills `w` and reaps it; returns how it ended.
  static std::string Stop(Worker& w) {
    if (!w.alive()) return "not running";
    ::close(w.fd);
    ::kill(w.pid, SIGKILL);
    int wstatus = 0;
    pid_t r;
    do {
      r = ::waitpid(w.pid, &wstatus, 0);
    } while (r < 0 && errno == EINTR);
    w = Worker{};
    return r < 0 ? "unknown" : DescribeExit(wstatus);
  }

  // Waits (within kStartupLimit) for a new worker's ready frame, so that its
  // start-up is not counted against the render's time limit.
  static Status AwaitReady(Worker& w) {
    if (w.ready) return Status::Ok();
    auto frame = ReadFrame(w.fd, 0, Clock::now() + kStartupLimit);
    if (!frame) {
      return frame.error().code() == Code::kUnavailable ? Status::Unavailable("did not start")
                                                        : frame.error();
    }
    w.ready = true;
    return Status::Ok();
  }

  Result<std::string> Exchange(Worker& w, std::string_view request) const {
    if (Status s = AwaitReady(w); !s.ok()) return s;
    const auto deadline = Clock::now() + options_.timeout;
    if (Status s = WriteFrame(w.fd, request, deadline); !s.ok()) return s;
    auto reply = ReadFrame(w.fd, kMaxReplyBytes, deadline);
    if (!reply && reply.error().code() == Code::kUnavailable) {
      return Status::Unavailable("timed out after " + std::to_string(options_.timeout.count()) +
                                 " ms");
    }
    return reply;
  }

  Result<Worker> Spawn() const {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
      return Status::Internal(std::string("cannot create a render worker socket: ") +
                              std::strerror(errno));
    }
    // dup2 onto itself would keep close-on-exec set: move it out of the way.
    if (sv[1] == kWorkerSocketFd) {
      int moved = ::fcntl(sv[1], F_DUPFD_CLOEXEC, kWorkerSocketFd + 1);
      ::close(sv[1]);
      sv[1] = moved;
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, sv[1], kWorkerSocketFd);
    // Nothing else of the server (listening socket, connections, database
    // files) reaches the worker.
    posix_spawn_file_actions_addclosefrom_np(&actions, kWorkerSocketFd + 1);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none, defaults;
    sigemptyset(&none);
    sigemptyset(&defaults);
    for (int sig : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGCHLD}) sigaddset(&defaults, sig);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(options_.executable.c_str()));
    for (const std::string& a : options_.arguments) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    pid_t pid = -1;
    int rc =
        ::posix_spawn(&pid, options_.executable.c_str(), &actions, &attr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    ::close(sv[1]);
    if (rc != 0) {
      ::close(sv[0]);
      return Status::Internal("cannot start a render worker (" + options_.executable +
                              "): " + std::strerror(rc));
    }
    ::fcntl(sv[0], F_SETFL, ::fcntl(sv[0], F_GETFL) | O_NONBLOCK);
    return Worker{pid, sv[0], false};
  }

  const WorkerPoolOptions options_;
  const std::unique_ptr<ReportRenderer> in_process_;  // HTML only
  mutable core::Mutex mu_;
  mutable core::CondVar available_;
  mutable std::deque<Worker> idle_ RS_GUARDED_BY(mu_);
};

}  // namespace

Result<std::unique_ptr<ReportRenderer>> MakeWorkerPoolRenderer(WorkerPoolOptions options) {
  auto pool = std::make_unique<WorkerPool>(std::move(options));
  if (Status s = pool->Start(); !s.ok()) return s;
  return std::unique_ptr<ReportRenderer>(std::move(pool));
}

}  // namespace reportshare::render::worker

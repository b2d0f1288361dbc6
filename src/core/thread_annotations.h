#pragma once

// Clang's thread-safety analysis (-Wthread-safety): the compiler checks that
// every member marked RS_GUARDED_BY(mu_) is touched only with `mu_` held and
// that every function marked RS_REQUIRES(mu_) is called with it held. Other
// compilers see empty macros. Use with core::Mutex (core/mutex.h): the
// standard library's mutexes carry no annotations.

#if defined(__clang__)
#define RS_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define RS_THREAD_ANNOTATION(x)
#endif

#define RS_CAPABILITY(x) RS_THREAD_ANNOTATION(capability(x))
#define RS_SCOPED_CAPABILITY RS_THREAD_ANNOTATION(scoped_lockable)
#define RS_GUARDED_BY(x) RS_THREAD_ANNOTATION(guarded_by(x))
#define RS_PT_GUARDED_BY(x) RS_THREAD_ANNOTATION(pt_guarded_by(x))
#define RS_REQUIRES(...) RS_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define RS_EXCLUDES(...) RS_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
#define RS_ACQUIRE(...) RS_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define RS_RELEASE(...) RS_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define RS_TRY_ACQUIRE(...) RS_THREAD_ANNOTATION(try_acquire_capability(__VA_ARGS__))
#define RS_RETURN_CAPABILITY(x) RS_THREAD_ANNOTATION(lock_returned(x))
#define RS_NO_THREAD_SAFETY_ANALYSIS RS_THREAD_ANNOTATION(no_thread_safety_analysis)

#pragma once

// What `qpdf --check` does to a file, on a PDF in memory: parse it, check
// its linearization if it is linearized, write it to nowhere with every
// stream decoded (which walks every object), and parse every page's content
// streams. Plain C++17 with no qpdf type in it: qpdf 11.3's headers do not
// build as C++20 with clang (src/render/CMakeLists.txt), so its .cc is
// compiled as C++17 on its own (fuzz/CMakeLists.txt), like
// tests/support/pdf_structure.cc.

#include <string>

namespace reportshare::fuzz {

// Empty when qpdf finds nothing wrong (no error and no warning), else what
// it found. Never throws.
std::string QpdfCheck(const std::string& pdf);

}  // namespace reportshare::fuzz

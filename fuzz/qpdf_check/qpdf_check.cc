#include "fuzz/qpdf_check/qpdf_check.h"

// qpdf 11 without its deprecated PointerHolder (std::shared_ptr throughout).
#define POINTERHOLDER_TRANSITION 4
#include <qpdf/Pl_Discard.hh>
#include <qpdf/QPDF.hh>
#include <qpdf/QPDFExc.hh>
#include <qpdf/QPDFObjectHandle.hh>
#include <qpdf/QPDFPageDocumentHelper.hh>
#include <qpdf/QPDFPageObjectHelper.hh>
#include <qpdf/QPDFWriter.hh>

#include <exception>
#include <vector>

namespace reportshare::fuzz {
namespace {

// Parses a content stream and keeps nothing, as qpdf --check does.
class DiscardContents : public QPDFObjectHandle::ParserCallbacks {
 public:
  void handleObject(QPDFObjectHandle) override {}
  void handleEOF() override {}
};

}  // namespace

std::string QpdfCheck(const std::string& pdf) {
  std::string problems;
  try {
    QPDF q;
    q.setSuppressWarnings(true);
    q.processMemoryFile("rendered.pdf", pdf.data(), pdf.size());
    if (q.isLinearized() && !q.checkLinearization()) problems += "bad linearization; ";
    QPDFWriter w(q);
    Pl_Discard discard;
    w.setOutputPipeline(&discard);
    w.setDecodeLevel(qpdf_dl_all);
    w.setCompressStreams(false);  // decoded, as --check does, but not compressed again
    w.write();
    int page_number = 0;
    for (QPDFPageObjectHelper& page : QPDFPageDocumentHelper(q).getAllPages()) {
      ++page_number;
      DiscardContents contents;
      try {
        page.parseContents(&contents);
      } catch (const std::exception& e) {
        problems += "page " + std::to_string(page_number) + ": " + e.what() + "; ";
      }
    }
    if (page_number == 0) problems += "no pages; ";
    for (const QPDFExc& warning : q.getWarnings()) problems += warning.what() + std::string("; ");
  } catch (const std::exception& e) {
    problems += e.what();
  }
  return problems;
}

}  // namespace reportshare::fuzz

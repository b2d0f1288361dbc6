#include "render/pdf/pdf_tagging.h"

// qpdf 11 without its deprecated PointerHolder (std::shared_ptr throughout).
#define POINTERHOLDER_TRANSITION 4
#include <qpdf/Buffer.hh>
#include <qpdf/Pl_Buffer.hh>
#include <qpdf/QPDF.hh>
#include <qpdf/QPDFObjectHandle.hh>
#include <qpdf/QPDFPageDocumentHelper.hh>
#include <qpdf/QPDFPageObjectHelper.hh>
#include <qpdf/QPDFTokenizer.hh>
#include <qpdf/QPDFWriter.hh>

#include <exception>
#include <memory>

namespace reportshare::render::pdf {
namespace {

const std::string kArtifactName = std::string("/") + kArtifactTag;

// Rewrites `/Private <</MCID n>> BDC` (Cairo's marked content for an
// artifact's stand-in tag) as `/Artifact BMC`; the EMC that closes it stays.
// Every other token passes unchanged. A name that begins such a sequence is
// held back until the operator shows whether it does.
class ArtifactFilter : public QPDFObjectHandle::TokenFilter {
 public:
  void handleToken(QPDFTokenizer::Token const& token) override {
    if (held_.empty()) {
      if (token.getType() == QPDFTokenizer::tt_name && token.getValue() == kArtifactName) {
        held_.push_back(token);
      } else {
        writeToken(token);
      }
      return;
    }
    held_.push_back(token);
    switch (token.getType()) {
      case QPDFTokenizer::tt_space:
      case QPDFTokenizer::tt_dict_open:
      case QPDFTokenizer::tt_dict_close:
      case QPDFTokenizer::tt_name:
      case QPDFTokenizer::tt_integer:
        if (held_.size() < 12) return;  // `/Private << /MCID n >> BDC` is 11 tokens
        break;
      case QPDFTokenizer::tt_word:
        if (token.getValue() == "BDC") {
          held_.clear();
          write("/Artifact BMC");
          ++rewritten_;
          return;
        }
        break;
      default:
        break;
    }
    Flush();
  }
  void handleEOF() override { Flush(); }

  int rewritten() const { return rewritten_; }

 private:
  void Flush() {
    for (const QPDFTokenizer::Token& t : held_) writeToken(t);
    held_.clear();
  }

  std::vector<QPDFTokenizer::Token> held_;
  int rewritten_ = 0;
};

bool IsElement(QPDFObjectHandle& h) { return h.isDictionary() && h.getKey("/S").isName(); }
bool IsArtifactElement(QPDFObjectHandle& h) {
  return IsElement(h) && h.getKey("/S").getName() == kArtifactName;
}

class StructureFixer {
 public:
  explicit StructureFixer(const Tagging& tagging) : tagging_(tagging) {}

  // Completes `element` and everything below it; `in_head`: it lies in a THead.
  void Fix(QPDFObjectHandle element, bool in_head) {
    const std::string type = element.getKey("/S").getName();
    if (type == "/THead") in_head = true;
    if (type == "/TH") {
      element.replaceKey("/A", QPDFObjectHandle::parse(in_head ? "<< /O /Table /Scope /Column >>"
                                                               : "<< /O /Table /Scope /Row >>"));
    }
    if (type == "/Figure") {
      if (figures_ < tagging_.figure_alt.size()) {
        element.replaceKey("/Alt",
                           QPDFObjectHandle::newUnicodeString(tagging_.figure_alt[figures_]));
      }
      ++figures_;
    }
    FixKids(element, in_head);
  }

  // Drops the artifacts' stand-in elements from `parent`'s /K and fixes the rest.
  void FixKids(QPDFObjectHandle parent, bool in_head) {
    QPDFObjectHandle kids = parent.getKey("/K");
    if (IsElement(kids)) {
      if (IsArtifactElement(kids)) {
        parent.replaceKey("/K", QPDFObjectHandle::newArray());
      } else {
        Fix(kids, in_head);
      }
      return;
    }
    if (!kids.isArray()) return;  // a marked-content id
    for (int i = kids.getArrayNItems() - 1; i >= 0; --i) {
      QPDFObjectHandle kid = kids.getArrayItem(i);
      if (IsArtifactElement(kid)) {
        kids.eraseItem(i);
      }
    }
    for (int i = 0; i < kids.getArrayNItems(); ++i) {
      QPDFObjectHandle kid = kids.getArrayItem(i);
      if (IsElement(kid)) Fix(kid, in_head);
    }
  }

  size_t figures() const { return figures_; }

 private:
  const Tagging& tagging_;
  size_t figures_ = 0;
};

// In the parent tree (marked-content id → element, per page), the artifacts'
// stand-ins become null: their marked content is no longer numbered.
void NullArtifactParents(QPDFObjectHandle node) {
  QPDFObjectHandle kids = node.getKey("/Kids");
  if (kids.isArray()) {
    for (int i = 0; i < kids.getArrayNItems(); ++i) NullArtifactParents(kids.getArrayItem(i));
  }
  QPDFObjectHandle nums = node.getKey("/Nums");
  if (!nums.isArray()) return;
  for (int i = 1; i < nums.getArrayNItems(); i += 2) {
    QPDFObjectHandle parents = nums.getArrayItem(i);
    if (!parents.isArray()) continue;
    for (int j = 0; j < parents.getArrayNItems(); ++j) {
      QPDFObjectHandle p = parents.getArrayItem(j);
      if (IsArtifactElement(p)) parents.setArrayItem(j, QPDFObjectHandle::newNull());
    }
  }
}

}  // namespace

Result<std::string> FinishTaggedPdf(std::string_view pdf, const Tagging& tagging) {
  try {
    QPDF q;
    // A damaged file (a broken cross-reference table: what cairo leaves when
    // it fails mid-document) throws, as recovery is off. Warnings are not
    // failures: cairo 1.16 repeats a key in a page's XObject resources when
    // one emoji image appears twice (same value), which qpdf warns of.
    q.setSuppressWarnings(true);
    q.setAttemptRecovery(false);
    q.processMemoryFile("report.pdf", pdf.data(), pdf.size());
    QPDFObjectHandle root = q.getRoot();
    QPDFObjectHandle tree = root.getKey("/StructTreeRoot");
    if (!tree.isDictionary()) return Status::Internal("PDF tagging: no structure tree");

    for (QPDFPageObjectHelper& page : QPDFPageDocumentHelper(q).getAllPages()) {
      ArtifactFilter filter;
      Pl_Buffer out("page contents");
      page.filterContents(&filter, &out);
      page.getObjectHandle().replaceKey(
          "/Contents", QPDFObjectHandle::newStream(&q, out.getBufferSharedPointer()));
    }
    StructureFixer fixer(tagging);
    fixer.FixKids(tree, false);
    if (fixer.figures() != tagging.figure_alt.size()) {
      return Status::Internal("PDF tagging: the figures do not match their descriptions");
    }
    NullArtifactParents(tree.getKey("/ParentTree"));

    root.replaceKey("/Lang", QPDFObjectHandle::newUnicodeString(tagging.language));
    root.replaceKey("/MarkInfo", QPDFObjectHandle::parse("<< /Marked true >>"));
    QPDFObjectHandle prefs = root.getKey("/ViewerPreferences");
    if (!prefs.isDictionary()) {
      prefs = QPDFObjectHandle::newDictionary();
      root.replaceKey("/ViewerPreferences", prefs);
    }
    prefs.replaceKey("/DisplayDocTitle", QPDFObjectHandle::newBool(true));

    QPDFWriter writer(q);
    writer.setOutputMemory();
    // Cairo's streams (fonts, images) are copied as they are; the new page
    // contents, not yet compressed, are.
    writer.setDecodeLevel(qpdf_dl_none);
    writer.setCompressStreams(true);
    // The structure tree is hundreds of small objects (a 40 × 10 report has
    // ~1,000): packed into compressed object streams, the demo PDF is smaller
    // than it was untagged (34 → 32 KB) and a 40 × 10 one grows 73 → 85 KB
    // (257 KB without).
    writer.setObjectStreamMode(qpdf_o_generate);
    writer.setDeterministicID(true);
    writer.write();
    std::shared_ptr<Buffer> buffer = writer.getBufferSharedPointer();
    return std::string(reinterpret_cast<const char*>(buffer->getBuffer()), buffer->getSize());
  } catch (const std::exception& e) {
    return Status::Internal(std::string("PDF tagging failed: ") + e.what());
  }
}

}  // namespace reportshare::render::pdf

#include "support/pdf_structure.h"

// qpdf 11 without its deprecated PointerHolder (std::shared_ptr throughout).
#define POINTERHOLDER_TRANSITION 4
#include <qpdf/Buffer.hh>
#include <qpdf/Pl_Discard.hh>
#include <qpdf/QPDF.hh>
#include <qpdf/QPDFObjectHandle.hh>
#include <qpdf/QPDFPageDocumentHelper.hh>
#include <qpdf/QPDFPageObjectHelper.hh>

#include <exception>
#include <map>
#include <memory>

namespace reportshare::test_support {
namespace {

bool IsPaint(const std::string& op) {
  static const std::set<std::string> kOps = {"Tj", "TJ", "'",  "\"", "f", "F",  "f*", "B",
                                             "B*", "b",  "b*", "S",  "s", "sh", "Do", "EI"};
  return kOps.count(op) > 0;
}

// Reads a page's tokens: marked content, text positions, painting operators.
class ContentReader : public QPDFObjectHandle::TokenFilter {
 public:
  ContentReader(int page, Inspection& out) : page_(page), out_(out) {}

  void handleToken(QPDFTokenizer::Token const& t) override {
    switch (t.getType()) {
      case QPDFTokenizer::tt_space:
      case QPDFTokenizer::tt_comment:
        return;
      case QPDFTokenizer::tt_word:
        Operator(t.getValue());
        operands_.clear();
        return;
      case QPDFTokenizer::tt_inline_image:
        Operator("EI");
        operands_.clear();
        return;
      default:
        operands_.push_back(t);
    }
  }

 private:
  void Operator(const std::string& op) {
    if (op == "BDC" || op == "BMC") {
      // Cairo's /ActualText spans (the text of a glyph run) nest inside
      // tagged content; they belong to the sequence around them.
      bool actual_text = false;
      for (const QPDFTokenizer::Token& t : operands_) actual_text |= t.getValue() == "/ActualText";
      if (actual_text && Current() >= 0) {
        open_.push_back(Current());
        return;
      }
      if (!open_.empty()) ++out_.nested_marked_content;
      Marked m;
      m.page = page_;
      if (!operands_.empty() && operands_[0].getType() == QPDFTokenizer::tt_name) {
        m.tag = operands_[0].getValue().substr(1);
      }
      for (size_t i = 0; i + 1 < operands_.size(); ++i) {
        if (operands_[i].getValue() == "/MCID") m.mcid = std::stoi(operands_[i + 1].getValue());
      }
      out_.marked_content.push_back(m);
      open_.push_back(static_cast<int>(out_.marked_content.size()) - 1);
      return;
    }
    if (op == "EMC") {
      if (!open_.empty()) open_.pop_back();
      return;
    }
    const int current = Current();
    if (op == "Tm" && operands_.size() == 6 && current >= 0) {
      Marked& m = out_.marked_content[static_cast<size_t>(current)];
      if (m.x < 0) {
        m.x = std::stod(operands_[4].getValue());
        m.y = std::stod(operands_[5].getValue());
      }
    }
    if (!IsPaint(op)) return;
    if (current < 0) {
      ++out_.paint_ops_outside;
      return;
    }
    Marked& m = out_.marked_content[static_cast<size_t>(current)];
    ++m.paint_ops;
    if (op == "Do" && !operands_.empty()) m.xobjects.push_back(operands_.back().getValue());
    for (const QPDFTokenizer::Token& t : operands_) {
      if (t.getType() == QPDFTokenizer::tt_string) m.text += t.getValue();
    }
  }
  int Current() const { return open_.empty() ? -1 : open_.back(); }

  int page_;
  Inspection& out_;
  std::vector<QPDFTokenizer::Token> operands_;
  std::vector<int> open_;  // the marked content open, innermost last
};

Element ReadElement(QPDFObjectHandle e, std::map<QPDFObjGen, int>& page_numbers) {
  Element out;
  out.type = e.getKey("/S").getName().substr(1);
  if (e.getKey("/Alt").isString()) out.alt = e.getKey("/Alt").getUTF8Value();
  QPDFObjectHandle a = e.getKey("/A");
  if (a.isDictionary() && a.getKey("/Scope").isName()) {
    out.scope = a.getKey("/Scope").getName().substr(1);
  }
  int page = e.getKey("/Pg").isDictionary() ? page_numbers[e.getKey("/Pg").getObjGen()] : 0;
  QPDFObjectHandle k = e.getKey("/K");
  std::vector<QPDFObjectHandle> kids;
  if (k.isArray()) {
    kids = k.getArrayAsVector();
  } else if (!k.isNull()) {
    kids.push_back(k);
  }
  for (QPDFObjectHandle kid : kids) {
    if (kid.isInteger()) {
      out.mcids.push_back(kid.getIntValueAsInt());
      out.pages.insert(page);
    } else if (kid.isDictionary() && kid.getKey("/S").isName()) {
      out.children.push_back(ReadElement(kid, page_numbers));
      out.pages.insert(out.children.back().pages.begin(), out.children.back().pages.end());
    } else if (kid.isDictionary() && kid.getKey("/MCID").isInteger()) {
      out.mcids.push_back(kid.getKey("/MCID").getIntValueAsInt());
      int p = kid.getKey("/Pg").isDictionary() ? page_numbers[kid.getKey("/Pg").getObjGen()] : page;
      out.pages.insert(p);
    }
  }
  return out;
}

// A stream's data, decoded; empty if qpdf cannot (or it is no stream).
std::string Decoded(QPDFObjectHandle stream) {
  if (!stream.isStream()) return {};
  try {
    std::shared_ptr<Buffer> data = stream.getStreamData(qpdf_dl_generalized);
    return std::string(reinterpret_cast<const char*>(data->getBuffer()), data->getSize());
  } catch (const std::exception&) {
    return {};
  }
}

int IntOf(QPDFObjectHandle dict, const char* key) {
  QPDFObjectHandle v = dict.getKey(key);
  return v.isInteger() ? v.getIntValueAsInt() : 0;
}

// The image XObjects of `resources` and of the forms in it (painted under
// the page's name `page_name`), each object once.
void CollectImages(QPDFObjectHandle resources, int page, const std::string& page_name,
                   std::set<QPDFObjGen>& seen, Inspection& out) {
  if (!resources.isDictionary()) return;
  QPDFObjectHandle xobjects = resources.getKey("/XObject");
  if (!xobjects.isDictionary()) return;
  for (const std::string& name : xobjects.getKeys()) {
    QPDFObjectHandle x = xobjects.getKey(name);
    if (!x.isStream() || !seen.insert(x.getObjGen()).second) continue;
    QPDFObjectHandle dict = x.getDict();
    const std::string painted_as = page_name.empty() ? name : page_name;
    if (dict.getKey("/Subtype").isName() && dict.getKey("/Subtype").getName() == "/Form") {
      CollectImages(dict.getKey("/Resources"), page, painted_as, seen, out);
      continue;
    }
    if (!dict.getKey("/Subtype").isName() || dict.getKey("/Subtype").getName() != "/Image") {
      continue;
    }
    Image image;
    image.page = page;
    image.resource = painted_as;
    image.width = IntOf(dict, "/Width");
    image.height = IntOf(dict, "/Height");
    image.bits_per_component = IntOf(dict, "/BitsPerComponent");
    QPDFObjectHandle space = dict.getKey("/ColorSpace");
    if (space.isName()) {
      image.color_space = space.getName();
    } else if (space.isArray() && space.getArrayNItems() > 0 && space.getArrayItem(0).isName()) {
      image.color_space = space.getArrayItem(0).getName();
    }
    image.soft_mask = dict.getKey("/SMask").isStream();
    image.samples = Decoded(x);
    image.mask_samples = Decoded(dict.getKey("/SMask"));
    out.images.push_back(std::move(image));
  }
}

}  // namespace

Inspection Inspect(const std::string& pdf) {
  Inspection in;
  QPDF q;
  q.setSuppressWarnings(true);
  q.processMemoryFile("test.pdf", pdf.data(), pdf.size());
  QPDFObjectHandle root = q.getRoot();
  if (root.getKey("/Lang").isString()) in.lang = root.getKey("/Lang").getUTF8Value();
  QPDFObjectHandle mark = root.getKey("/MarkInfo");
  in.marked = mark.isDictionary() && mark.getKey("/Marked").isBool() &&
              mark.getKey("/Marked").getBoolValue();
  QPDFObjectHandle prefs = root.getKey("/ViewerPreferences");
  in.display_doc_title = prefs.isDictionary() && prefs.getKey("/DisplayDocTitle").isBool() &&
                         prefs.getKey("/DisplayDocTitle").getBoolValue();

  std::map<QPDFObjGen, int> page_numbers;
  std::vector<QPDFPageObjectHelper> pages = QPDFPageDocumentHelper(q).getAllPages();
  in.pages = static_cast<int>(pages.size());
  for (size_t i = 0; i < pages.size(); ++i) {
    page_numbers[pages[i].getObjectHandle().getObjGen()] = static_cast<int>(i) + 1;
    ContentReader reader(static_cast<int>(i) + 1, in);
    Pl_Discard discard;
    pages[i].filterContents(&reader, &discard);
  }
  std::set<QPDFObjGen> seen;
  for (size_t i = 0; i < pages.size(); ++i) {
    CollectImages(pages[i].getAttribute("/Resources", false), static_cast<int>(i) + 1, "", seen,
                  in);
  }

  QPDFObjectHandle tree = root.getKey("/StructTreeRoot");
  in.has_tree = tree.isDictionary();
  if (in.has_tree) {
    QPDFObjectHandle k = tree.getKey("/K");
    std::vector<QPDFObjectHandle> kids =
        k.isArray() ? k.getArrayAsVector() : std::vector<QPDFObjectHandle>{k};
    for (QPDFObjectHandle kid : kids) {
      if (kid.isDictionary()) in.roots.push_back(ReadElement(kid, page_numbers));
    }
    // Each numbered marked content points back (parent tree) at an element
    // of its own tag that lists it.
    QPDFObjectHandle nums = tree.getKey("/ParentTree").getKey("/Nums");
    for (size_t i = 0; i < pages.size(); ++i) {
      QPDFObjectHandle key = pages[i].getObjectHandle().getKey("/StructParents");
      QPDFObjectHandle parents;
      for (int n = 0; key.isInteger() && nums.isArray() && n + 1 < nums.getArrayNItems(); n += 2) {
        if (nums.getArrayItem(n).getIntValue() == key.getIntValue()) {
          parents = nums.getArrayItem(n + 1);
        }
      }
      for (const Marked& m : in.marked_content) {
        if (m.page != static_cast<int>(i) + 1 || m.mcid < 0) continue;
        bool good = parents.isArray() && m.mcid < parents.getArrayNItems();
        if (good) {
          QPDFObjectHandle e = parents.getArrayItem(m.mcid);
          good = e.isDictionary() && e.getKey("/S").isName() &&
                 e.getKey("/S").getName() == "/" + m.tag;
        }
        if (!good) ++in.parent_tree_mismatches;
      }
    }
  }
  in.ok = true;
  return in;
}

}  // namespace reportshare::test_support

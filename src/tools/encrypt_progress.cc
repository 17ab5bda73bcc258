#include "tools/encrypt_progress.h"

#include <ostream>

#include "tools/utc_time.h"

namespace kura::tools {

namespace {

int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

std::string ProgressReporter::Duration(std::chrono::seconds s) {
  const int64_t n = s.count();
  if (n < 60) return std::to_string(n) + "s";
  const int64_t sec = n % 60;
  return std::to_string(n / 60) + "m" + (sec < 10 ? "0" : "") + std::to_string(sec) + "s";
}

void ProgressReporter::Line(const std::string& message) {
  if (line_open_) {
    out_ << "\n";
    line_open_ = false;
  }
  out_ << FormatUtc(NowSeconds(), "%H:%M:%S") << " " << message << std::endl;
}

void ProgressReporter::Update(const std::string& what, int percent) {
  if (what != current_) {
    current_ = what;
    started_ = std::chrono::steady_clock::now();
    last_logged_ = -100;
  }
  const auto elapsed = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started_);
  std::string text = what + " " + std::to_string(percent) + "% elapsed " + Duration(elapsed);
  if (percent > 0 && percent < 100) {
    text += " left ~" + Duration(std::chrono::seconds(elapsed.count() * (100 - percent) / percent));
  }
  if (terminal_) {
    out_ << "\r\033[K" << text << std::flush;
    line_open_ = true;
  } else if (percent - last_logged_ >= 10 || (percent == 100 && last_logged_ != 100)) {
    last_logged_ = percent;
    Line(text);
  }
}

void ProgressReporter::Done(const std::string& what) {
  if (what == current_ && line_open_) {
    out_ << "\n";
    line_open_ = false;
  }
  current_.clear();
}

}  // namespace kura::tools

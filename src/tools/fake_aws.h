// FakeAws: canned AWS answers for the tools' unit tests, through
// AwsClientHooks' transport (the real signer, codec and error parsing run;
// only the network is replaced). Answers are keyed by the calling access key
// and the operation (the Query Action or the JSON X-Amz-Target operation),
// queued per key; every request is recorded. Nothing sleeps.
// Thread-safety: one test thread.
#pragma once

#include <deque>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "tools/aws_client.h"

namespace kura::tools::testing {

struct FakeCall {
  std::string access_key;
  std::string operation;
  std::string body;
};

class FakeAws {
 public:
  // Queues `body` with HTTP `status` for `operation` called with `access_key`.
  void Answer(const std::string& access_key, const std::string& operation, std::string body, int status = 200) {
    answers_[{access_key, operation}].push_back(client::HttpResult{status, {}, std::move(body)});
  }

  AwsClientHooks Hooks() {
    AwsClientHooks hooks;
    hooks.transport = [this](const client::Endpoint&, const client::SignableRequest& r)
        -> base::Result<client::HttpResult> {
      FakeCall call{KeyOf(r), OperationOf(r), r.body};
      calls_.push_back(call);
      auto& queue = answers_[{call.access_key, call.operation}];
      if (queue.empty()) return base::InternalError("no answer scripted for " + call.access_key + " " + call.operation);
      auto next = std::move(queue.front());
      queue.pop_front();
      return next;
    };
    hooks.sleep = [](std::chrono::milliseconds) {};
    hooks.clock = [] { return int64_t{1795000000}; };
    hooks.random = [] { return 0.5; };
    return hooks;
  }

  const std::vector<FakeCall>& calls() const { return calls_; }
  // How many calls of `operation` were made.
  size_t Count(const std::string& operation) const {
    size_t n = 0;
    for (const auto& c : calls_) n += c.operation == operation ? 1 : 0;
    return n;
  }

 private:
  static std::string Header(const client::SignableRequest& r, std::string_view name) {
    for (const auto& [n, v] : r.headers) {
      if (n == name) return v;
    }
    return "";
  }
  static std::string KeyOf(const client::SignableRequest& r) {
    const std::string auth = Header(r, "Authorization");
    const size_t start = auth.find("Credential=");
    if (start == std::string::npos) return "";
    return auth.substr(start + 11, auth.find('/', start) - start - 11);
  }
  static std::string OperationOf(const client::SignableRequest& r) {
    const std::string target = Header(r, "X-Amz-Target");
    if (!target.empty()) return target.substr(target.find('.') + 1);
    const size_t start = r.body.find("Action=");
    if (start == std::string::npos) return "";
    return r.body.substr(start + 7, r.body.find('&', start) - start - 7);
  }

  std::map<std::pair<std::string, std::string>, std::deque<base::Result<client::HttpResult>>> answers_;
  std::vector<FakeCall> calls_;
};

}  // namespace kura::tools::testing

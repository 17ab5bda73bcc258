#include "client/credentials.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include <gtest/gtest.h>

namespace kura::client {
namespace {

class CredentialsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/kura-credentials-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    env_["HOME"] = dir_;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void Write(const std::string& relative, const std::string& text) {
    std::filesystem::path path = dir_ + "/" + relative;
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path) << text;
  }
  EnvLookup Env() const {
    return [env = env_](std::string_view name) -> std::optional<std::string> {
      auto it = env.find(std::string(name));
      if (it == env.end()) return std::nullopt;
      return it->second;
    };
  }

  std::string dir_;
  std::map<std::string, std::string> env_;
};

TEST(ParseIniTest, SectionsKeysCommentsAndContinuations) {
  auto ini = ParseIni(
      "# comment\n"
      "[default]\r\n"
      "aws_access_key_id = AKIADEFAULT\n"
      "AWS_Secret_Access_Key=secret = with equals \n"
      "; another comment\n"
      "[profile dev]\n"
      "region: ap-northeast-1\n"
      "s3 =\n"
      "  max_concurrent_requests = 5\n");
  ASSERT_EQ(ini.count("default"), 1u);
  EXPECT_EQ(ini["default"]["aws_access_key_id"], "AKIADEFAULT");
  EXPECT_EQ(ini["default"]["aws_secret_access_key"], "secret = with equals");
  EXPECT_EQ(ini["profile dev"]["region"], "ap-northeast-1");
  EXPECT_EQ(ini["profile dev"]["s3"], "\nmax_concurrent_requests = 5");
  EXPECT_TRUE(ParseIni("").empty());
}

TEST_F(CredentialsTest, EnvironmentComesFirst) {
  Write(".aws/credentials", "[default]\naws_access_key_id = AKIAFILE\naws_secret_access_key = filesecret\n");
  env_["AWS_ACCESS_KEY_ID"] = "AKIAENV";
  env_["AWS_SECRET_ACCESS_KEY"] = "envsecret";
  env_["AWS_SESSION_TOKEN"] = "token";
  auto c = LoadCredentials("", Env());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->credentials.access_key_id, "AKIAENV");
  EXPECT_EQ(c->credentials.secret_access_key, "envsecret");
  EXPECT_EQ(c->credentials.session_token, "token");
  EXPECT_EQ(c->source, "environment");
}

TEST_F(CredentialsTest, HalfAKeyInTheEnvironmentIsAnError) {
  env_["AWS_ACCESS_KEY_ID"] = "AKIAENV";
  EXPECT_EQ(LoadCredentials("", Env()).status().code(), base::StatusCode::kInvalidArgument);
}

TEST_F(CredentialsTest, DefaultProfileOfTheHomeCredentialsFile) {
  Write(".aws/credentials", "[default]\naws_access_key_id = AKIAFILE\naws_secret_access_key = filesecret\n");
  auto c = LoadCredentials("", Env());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->credentials.access_key_id, "AKIAFILE");
  EXPECT_EQ(c->credentials.session_token, "");
  EXPECT_EQ(c->source, dir_ + "/.aws/credentials [default]");
}

TEST_F(CredentialsTest, ExplicitProfileSkipsTheEnvironment) {
  Write("creds", "[default]\naws_access_key_id = AKIADEF\naws_secret_access_key = d\n"
                 "[ops]\naws_access_key_id = AKIAOPS\naws_secret_access_key = o\naws_session_token = t\n");
  env_["AWS_SHARED_CREDENTIALS_FILE"] = "~/creds";
  env_["AWS_ACCESS_KEY_ID"] = "AKIAENV";
  env_["AWS_SECRET_ACCESS_KEY"] = "envsecret";
  auto c = LoadCredentials("ops", Env());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->credentials.access_key_id, "AKIAOPS");
  EXPECT_EQ(c->credentials.session_token, "t");
  // AWS_PROFILE names the profile but the environment's keys still win, as in botocore.
  env_["AWS_PROFILE"] = "ops";
  c = LoadCredentials("", Env());
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->credentials.access_key_id, "AKIAENV");
  env_.erase("AWS_ACCESS_KEY_ID");
  env_.erase("AWS_SECRET_ACCESS_KEY");
  c = LoadCredentials("", Env());
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->credentials.access_key_id, "AKIAOPS");
}

TEST_F(CredentialsTest, ConfigFileProfiles) {
  Write(".aws/config", "[default]\naws_access_key_id = AKIACFGDEF\naws_secret_access_key = x\n"
                       "[profile dev]\naws_access_key_id = AKIACFGDEV\naws_secret_access_key = y\n");
  auto c = LoadCredentials("", Env());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->credentials.access_key_id, "AKIACFGDEF");
  c = LoadCredentials("dev", Env());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->credentials.access_key_id, "AKIACFGDEV");
}

TEST_F(CredentialsTest, MissingAndPartialProfiles) {
  auto none = LoadCredentials("", Env());
  EXPECT_EQ(none.status().code(), base::StatusCode::kNotFound);
  auto missing = LoadCredentials("nope", Env());
  EXPECT_EQ(missing.status().code(), base::StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("nope"), std::string::npos);
  Write(".aws/credentials", "[half]\naws_access_key_id = AKIAHALF\n");
  EXPECT_EQ(LoadCredentials("half", Env()).status().code(), base::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kura::client

#include "util/aws_credentials.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

namespace cofre {
namespace {

namespace fs = std::filesystem;

class AwsCredentialsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/cofre-awscreds-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    home_ = tmpl;
    env_["HOME"] = home_.string();
  }
  void TearDown() override { fs::remove_all(home_); }

  EnvLookup Env() {
    return [this](std::string_view n) -> std::optional<std::string> {
      auto it = env_.find(std::string(n));
      if (it == env_.end()) return std::nullopt;
      return it->second;
    };
  }
  void Write(const fs::path& p, const std::string& text) {
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
  }

  fs::path home_;
  std::map<std::string, std::string> env_;
};

TEST_F(AwsCredentialsTest, ParseAuthMode) {
  EXPECT_EQ(*ParseAwsAuthMode(std::nullopt, "s3://b"), AwsAuthMode::kSpecified);
  EXPECT_EQ(*ParseAwsAuthMode("specified", "s3://b"), AwsAuthMode::kSpecified);
  EXPECT_EQ(*ParseAwsAuthMode("IMPLICIT", "s3://b"), AwsAuthMode::kImplicit);
  StatusOr<AwsAuthMode> bad = ParseAwsAuthMode("magic", "s3://b/p");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("s3://b/p"), std::string::npos);
}

TEST_F(AwsCredentialsTest, SpecifiedUsesGivenValuesAndNamesMissingOnes) {
  AwsCredentialParams p;
  p.access_key_id = "AKID";
  p.secret_access_key = "SECRET1";
  p.session_token = "TOKEN";
  StatusOr<AwsCredentials> c = ResolveAwsCredentials(AwsAuthMode::kSpecified, p, "s3://b", Env());
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->access_key_id, "AKID");
  EXPECT_EQ(c->secret_access_key, "SECRET1");
  EXPECT_EQ(c->session_token, "TOKEN");

  p.secret_access_key.reset();
  c = ResolveAwsCredentials(AwsAuthMode::kSpecified, p, "s3://b/x?AWS_ACCESS_KEY_ID=redacted",
                            Env());
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(c.status().message().find("missing AWS_SECRET_ACCESS_KEY"), std::string::npos);
  EXPECT_EQ(c.status().message().find("AKID"), std::string::npos);
}

TEST_F(AwsCredentialsTest, ImplicitRefusesUriCredentials) {
  AwsCredentialParams p;
  p.access_key_id = "AKID";
  StatusOr<AwsCredentials> c = ResolveAwsCredentials(AwsAuthMode::kImplicit, p, "s3://b", Env());
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument);
}

TEST_F(AwsCredentialsTest, ImplicitPrefersEnvironment) {
  env_["AWS_ACCESS_KEY_ID"] = "ENVID";
  env_["AWS_SECRET_ACCESS_KEY"] = "ENVSECRET";
  env_["AWS_SESSION_TOKEN"] = "ENVTOKEN";
  Write(home_ / ".aws/credentials",
        "[default]\naws_access_key_id=FILEID\naws_secret_access_key=FILESECRET\n");
  StatusOr<AwsCredentials> c = ResolveAwsCredentials(AwsAuthMode::kImplicit, {}, "s3://b", Env());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->access_key_id, "ENVID");
  EXPECT_EQ(c->secret_access_key, "ENVSECRET");
  EXPECT_EQ(c->session_token, "ENVTOKEN");
}

TEST_F(AwsCredentialsTest, HalfSetEnvironmentIsAnErrorWithoutValues) {
  env_["AWS_ACCESS_KEY_ID"] = "ENVID-VALUE";
  StatusOr<AwsCredentials> c = LoadImplicitAwsCredentials(Env());
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(c.status().message().find("AWS_SECRET_ACCESS_KEY is not"), std::string::npos);
  EXPECT_EQ(c.status().message().find("ENVID-VALUE"), std::string::npos);
}

TEST_F(AwsCredentialsTest, SharedCredentialsFileHonorsProfile) {
  Write(home_ / ".aws/credentials",
        "# comment\n[default]\naws_access_key_id = DEFID\naws_secret_access_key = DEFSECRET\n\n"
        "[work]\naws_access_key_id=WORKID\naws_secret_access_key=WORKSECRET\n"
        "aws_session_token=WORKTOKEN\ns3 =\n  max_concurrent_requests = 4\n");
  StatusOr<AwsCredentials> c = LoadImplicitAwsCredentials(Env());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->access_key_id, "DEFID");
  EXPECT_EQ(c->secret_access_key, "DEFSECRET");
  EXPECT_TRUE(c->session_token.empty());
  env_["AWS_PROFILE"] = "work";
  c = LoadImplicitAwsCredentials(Env());
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->access_key_id, "WORKID");
  EXPECT_EQ(c->session_token, "WORKTOKEN");
}

TEST_F(AwsCredentialsTest, OverriddenFileLocationsAndConfigProfiles) {
  fs::path creds = home_ / "elsewhere/creds";
  fs::path config = home_ / "elsewhere/config";
  Write(creds, "[other]\naws_access_key_id=X\naws_secret_access_key=Y\n");
  Write(config,
        "[default]\nregion = eu-west-1\naws_access_key_id=CFGDEF\naws_secret_access_key=S1\n"
        "[profile team]\nregion=ap-south-1\naws_access_key_id=CFGTEAM\naws_secret_access_key=S2\n");
  env_["AWS_SHARED_CREDENTIALS_FILE"] = creds.string();
  env_["AWS_CONFIG_FILE"] = config.string();
  StatusOr<AwsCredentials> c = LoadImplicitAwsCredentials(Env());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->access_key_id, "CFGDEF");
  EXPECT_EQ(ImplicitAwsRegion(Env()).value_or(""), "eu-west-1");
  env_["AWS_PROFILE"] = "team";
  c = LoadImplicitAwsCredentials(Env());
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->access_key_id, "CFGTEAM");
  EXPECT_EQ(ImplicitAwsRegion(Env()).value_or(""), "ap-south-1");
  env_["AWS_PROFILE"] = "other";
  c = LoadImplicitAwsCredentials(Env());
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->access_key_id, "X");
  env_["AWS_REGION"] = "us-west-2";
  EXPECT_EQ(ImplicitAwsRegion(Env()).value_or(""), "us-west-2");
}

TEST_F(AwsCredentialsTest, NothingFoundNamesEverythingTried) {
  env_["AWS_PROFILE"] = "ghost";
  StatusOr<AwsCredentials> c =
      ResolveAwsCredentials(AwsAuthMode::kImplicit, {}, "s3://bkt/p", Env());
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kFailedPrecondition);
  const std::string& m = c.status().message();
  EXPECT_NE(m.find("s3://bkt/p"), std::string::npos) << m;
  EXPECT_NE(m.find("AWS_ACCESS_KEY_ID"), std::string::npos);
  EXPECT_NE(m.find("'ghost'"), std::string::npos);
  EXPECT_NE(m.find((home_ / ".aws/credentials").string()), std::string::npos);
  EXPECT_NE(m.find((home_ / ".aws/config").string()), std::string::npos);
  EXPECT_FALSE(ImplicitAwsRegion(Env()).has_value());
}

TEST_F(AwsCredentialsTest, HalfFilledProfileIsAnError) {
  Write(home_ / ".aws/credentials", "[default]\naws_access_key_id=ONLYID\n");
  StatusOr<AwsCredentials> c = LoadImplicitAwsCredentials(Env());
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("not aws_secret_access_key"), std::string::npos);
  EXPECT_EQ(c.status().message().find("ONLYID"), std::string::npos);
}

TEST_F(AwsCredentialsTest, UnreadableFileIsAnError) {
  if (geteuid() == 0) {
    // root reads any file regardless of mode: use a directory where a file is expected instead.
    fs::create_directories(home_ / ".aws/credentials");
  } else {
    Write(home_ / ".aws/credentials", "[default]\n");
    chmod((home_ / ".aws/credentials").c_str(), 0);
  }
  StatusOr<AwsCredentials> c = LoadImplicitAwsCredentials(Env());
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(c.status().message().find("cannot read"), std::string::npos);
}

}  // namespace
}  // namespace cofre

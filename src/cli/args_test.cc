#include "cli/args.h"

#include <gtest/gtest.h>

namespace cofre::cli {
namespace {

StatusOr<CliArgs> Parse(std::vector<std::string> args) { return ParseArgs(args); }

void ExpectInvalid(std::vector<std::string> args, std::string_view fragment) {
  StatusOr<CliArgs> parsed = ParseArgs(args);
  ASSERT_FALSE(parsed.ok()) << "parsed: " << args.size();
  EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(parsed.status().message().find(fragment), std::string::npos)
      << parsed.status().message();
}

TEST(ArgsTest, SqlDefaults) {
  StatusOr<CliArgs> args = Parse({"sql"});
  ASSERT_TRUE(args.ok()) << args.status().ToString();
  EXPECT_EQ(args->command, Command::kSql);
  EXPECT_EQ(args->data_dir, "./cofre-data");
  EXPECT_EQ(args->database, "defaultdb");
  EXPECT_EQ(args->format, OutputFormat::kTable);
  EXPECT_EQ(args->locality, "");
  EXPECT_TRUE(args->execute.empty());
}

TEST(ArgsTest, Variables) {
  StatusOr<CliArgs> args = Parse({"sql", "-v", "a=1", "--set=b=x=y", "--variable",
                                  "c=", "--set-file", "pw=/run/pw", "--set-env=k=KEY_VAR"});
  ASSERT_TRUE(args.ok()) << args.status().ToString();
  ASSERT_EQ(args->variables.size(), 5u);
  using S = VariableArg::Source;
  EXPECT_EQ(args->variables[0].name, "a");
  EXPECT_EQ(args->variables[0].value, "1");
  EXPECT_EQ(args->variables[1].value, "x=y");
  EXPECT_EQ(args->variables[2].value, "");
  EXPECT_EQ(args->variables[3].source, S::kFile);
  EXPECT_EQ(args->variables[3].value, "/run/pw");
  EXPECT_EQ(args->variables[4].source, S::kEnv);
  EXPECT_EQ(args->variables[4].name, "k");
  EXPECT_EQ(args->variables[4].value, "KEY_VAR");
  ExpectInvalid({"sql", "-v", "novalue"}, "takes NAME=VALUE");
  ExpectInvalid({"sql", "-v", "a-b=1"}, "letters, digits and _");
  ExpectInvalid({"sql", "-v", "=1"}, "takes NAME=VALUE");
  ExpectInvalid({"sql", "--set-file", "pw="}, "non-empty path");
  ExpectInvalid({"sql", "--set-env", "pw"}, "NAME=ENVIRONMENT_VARIABLE");
  ExpectInvalid({"demo", "-v", "a=1"}, "unknown flag -v");
}

TEST(ArgsTest, SqlAllFlagsSeparateValues) {
  StatusOr<CliArgs> args =
      Parse({"sql", "--data", "/tmp/d", "--database", "shop", "--format", "json", "--locality",
             "region=us-east,zone=a", "-e", "SELECT 1; SELECT 2", "--execute", "SELECT 3"});
  ASSERT_TRUE(args.ok()) << args.status().ToString();
  EXPECT_EQ(args->data_dir, "/tmp/d");
  EXPECT_EQ(args->database, "shop");
  EXPECT_EQ(args->format, OutputFormat::kJson);
  EXPECT_EQ(args->locality, "region=us-east,zone=a");
  EXPECT_EQ(args->execute, (std::vector<std::string>{"SELECT 1; SELECT 2", "SELECT 3"}));
}

TEST(ArgsTest, EqualsForms) {
  StatusOr<CliArgs> args = Parse({"sql", "--data=/x/y", "--format=csv", "--database=a=b",
                                  "-e=SELECT 'a=b'", "--execute=SELECT 2"});
  ASSERT_TRUE(args.ok()) << args.status().ToString();
  EXPECT_EQ(args->data_dir, "/x/y");
  EXPECT_EQ(args->format, OutputFormat::kCsv);
  EXPECT_EQ(args->database, "a=b");
  EXPECT_EQ(args->execute, (std::vector<std::string>{"SELECT 'a=b'", "SELECT 2"}));
}

TEST(ArgsTest, ExecuteValuesMayLookLikeFlags) {
  StatusOr<CliArgs> args = Parse({"sql", "-e", "--data", "-e", "", "-e", "x=1"});
  ASSERT_TRUE(args.ok()) << args.status().ToString();
  EXPECT_EQ(args->execute, (std::vector<std::string>{"--data", "", "x=1"}));
  EXPECT_EQ(args->data_dir, "./cofre-data");
}

TEST(ArgsTest, LastValueWins) {
  StatusOr<CliArgs> args = Parse({"sql", "--format", "csv", "--format", "tsv"});
  ASSERT_TRUE(args.ok());
  EXPECT_EQ(args->format, OutputFormat::kTsv);
}

TEST(ArgsTest, Demo) {
  StatusOr<CliArgs> args = Parse({"demo"});
  ASSERT_TRUE(args.ok());
  EXPECT_EQ(args->command, Command::kDemo);
  EXPECT_EQ(args->data_dir, "");
  args = Parse({"demo", "--data", "d"});
  ASSERT_TRUE(args.ok());
  EXPECT_EQ(args->data_dir, "d");
  ExpectInvalid({"demo", "--format", "csv"}, "unknown flag --format for 'cofre demo'");
  ExpectInvalid({"demo", "-e", "SELECT 1"}, "unknown flag -e");
}

TEST(ArgsTest, Version) {
  for (const char* spelling : {"version", "--version"}) {
    StatusOr<CliArgs> args = Parse({spelling});
    ASSERT_TRUE(args.ok());
    EXPECT_EQ(args->command, Command::kVersion);
  }
  ExpectInvalid({"version", "extra"}, "unexpected argument 'extra'");
  ExpectInvalid({"version", "--data", "x"}, "unknown flag --data");
}

TEST(ArgsTest, Help) {
  for (std::vector<std::string> argv :
       std::vector<std::vector<std::string>>{{"--help"},
                                             {"-h"},
                                             {"help"},
                                             {"sql", "--help"},
                                             {"sql", "--data", "d", "-h"},
                                             {"demo", "--help"},
                                             {"version", "--help"}}) {
    StatusOr<CliArgs> args = Parse(argv);
    ASSERT_TRUE(args.ok()) << argv.back();
    EXPECT_EQ(args->command, Command::kHelp);
  }
  EXPECT_NE(UsageText().find("cofre sql  [--data DIR | --url URL]"), std::string::npos);
  EXPECT_NE(UsageText().find("cofre start"), std::string::npos);
}

TEST(ArgsTest, Url) {
  StatusOr<CliArgs> args = Parse({"sql", "--url", "postgresql://u@h:26257/db", "-e", "SELECT 1"});
  ASSERT_TRUE(args.ok());
  EXPECT_EQ(args->url, "postgresql://u@h:26257/db");
  ExpectInvalid({"sql", "--url"}, "--url");
}

TEST(ArgsTest, BadUsage) {
  ExpectInvalid({}, "missing command");
  ExpectInvalid({"frobnicate"}, "unknown command 'frobnicate'");
  ExpectInvalid({"sql", "--bogus"}, "unknown flag --bogus for 'cofre sql'");
  ExpectInvalid({"sql", "--bogus=1"}, "unknown flag --bogus");
  ExpectInvalid({"sql", "stray"}, "unexpected argument 'stray'");
  ExpectInvalid({"sql", "--data"}, "flag --data needs a value");
  ExpectInvalid({"sql", "-e"}, "flag -e needs a value");
  ExpectInvalid({"sql", "--data="}, "needs a non-empty value");
  ExpectInvalid({"sql", "--database", ""}, "needs a non-empty value");
  ExpectInvalid({"sql", "--format", "xml"}, "unknown output format 'xml'");
  ExpectInvalid({"sql", "--locality", "region"}, "invalid --locality 'region'");
}

TEST(ArgsTest, Locality) {
  EXPECT_TRUE(ValidateLocality("region=us-east").ok());
  EXPECT_TRUE(ValidateLocality("region=us-east,zone=us-east-1a").ok());
  for (const char* bad : {"", "region", "=x", "region=", "a=b,", ",a=b", "a=b,c", "a=b=c"}) {
    EXPECT_FALSE(ValidateLocality(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace cofre::cli

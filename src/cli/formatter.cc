#include "cli/formatter.h"

#include "cli/delimited_format.h"
#include "cli/json_format.h"
#include "cli/table_format.h"

namespace cofre::cli {

StatusOr<OutputFormat> ParseOutputFormat(std::string_view name) {
  for (OutputFormat format :
       {OutputFormat::kTable, OutputFormat::kCsv, OutputFormat::kTsv, OutputFormat::kJson}) {
    if (name == OutputFormatName(format)) return format;
  }
  return InvalidArgumentError("unknown output format '" + std::string(name) +
                              "': use table, csv, tsv or json");
}

std::string_view OutputFormatName(OutputFormat format) {
  switch (format) {
    case OutputFormat::kTable:
      return "table";
    case OutputFormat::kCsv:
      return "csv";
    case OutputFormat::kTsv:
      return "tsv";
    case OutputFormat::kJson:
      return "json";
  }
  return "table";
}

std::string FormatResult(const ResultSet& result, OutputFormat format) {
  switch (format) {
    case OutputFormat::kTable:
      return FormatTable(result);
    case OutputFormat::kCsv:
      return FormatCsv(result);
    case OutputFormat::kTsv:
      return FormatTsv(result);
    case OutputFormat::kJson:
      return FormatJson(result);
  }
  return FormatTable(result);
}

}  // namespace cofre::cli

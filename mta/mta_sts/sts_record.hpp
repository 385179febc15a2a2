// mta/mta_sts: the _mta-sts.DOMAIN TXT record (RFC 8461 section 3.1) as the policy id it
// announces. Pure. Records not starting with "v=STSv1" are ignored; more than one STSv1
// record, or one without a valid id (1 to 32 letters and digits), is an invalid record.
#pragma once

#include <expected>
#include <string>
#include <vector>

namespace mxrelay::mta::sts {

// What the TXT RRset says: the id, or why there is no usable record ("no v=STSv1 record").
std::expected<std::string, std::string> policy_id_of(const std::vector<std::string>& texts);

}  // namespace mxrelay::mta::sts

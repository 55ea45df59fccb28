// An independent Azure Blob client for cofre's tests, built on Microsoft's @azure/storage-blob
// SDK (installed by scripts/install-azure-tools.sh). Credentials come from the environment:
// COFRE_TEST_AZURE_ENDPOINT (http://127.0.0.1:PORT/<account>), COFRE_TEST_AZURE_ACCOUNT and
// COFRE_TEST_AZURE_KEY.
//
//   node blob_tool.js create-container <container>
//   node blob_tool.js list <container> [prefix]          one line per blob: "<size> <name>"
//   node blob_tool.js download <container> <prefix> <dir> each blob under prefix to dir/<rest>
//   node blob_tool.js copy <src container> <src prefix> <dst container> <dst prefix>
//                                                         download + upload, blob by blob
//   node blob_tool.js delete <container> <name>
//   node blob_tool.js sas <container> [permissions]      prints a container SAS token (query)
"use strict";
const fs = require("fs");
const path = require("path");
const {
  BlobServiceClient,
  StorageSharedKeyCredential,
  generateBlobSASQueryParameters,
  ContainerSASPermissions,
} = require("@azure/storage-blob");

function service() {
  const endpoint = process.env.COFRE_TEST_AZURE_ENDPOINT;
  const account = process.env.COFRE_TEST_AZURE_ACCOUNT;
  const key = process.env.COFRE_TEST_AZURE_KEY;
  if (!endpoint || !account || !key) throw new Error("COFRE_TEST_AZURE_* is not set");
  const cred = new StorageSharedKeyCredential(account, key);
  return { svc: new BlobServiceClient(endpoint, cred), cred };
}

async function listAll(container, prefix) {
  const out = [];
  for await (const b of container.listBlobsFlat({ prefix })) {
    out.push({ name: b.name, size: b.properties.contentLength });
  }
  return out;
}

async function main() {
  const [cmd, ...args] = process.argv.slice(2);
  const { svc, cred } = service();
  if (cmd === "create-container") {
    await svc.getContainerClient(args[0]).createIfNotExists();
  } else if (cmd === "list") {
    for (const b of await listAll(svc.getContainerClient(args[0]), args[1] || "")) {
      console.log(`${b.size} ${b.name}`);
    }
  } else if (cmd === "download") {
    const [name, prefix, dir] = args;
    const c = svc.getContainerClient(name);
    for (const b of await listAll(c, prefix)) {
      const dest = path.join(dir, b.name.slice(prefix.length));
      fs.mkdirSync(path.dirname(dest), { recursive: true });
      await c.getBlobClient(b.name).downloadToFile(dest);
    }
  } else if (cmd === "copy") {
    const [srcName, srcPrefix, dstName, dstPrefix] = args;
    const src = svc.getContainerClient(srcName);
    const dst = svc.getContainerClient(dstName);
    await dst.createIfNotExists();
    for (const b of await listAll(src, srcPrefix)) {
      const body = await src.getBlobClient(b.name).downloadToBuffer();
      const target = dstPrefix + b.name.slice(srcPrefix.length);
      await dst.getBlockBlobClient(target).uploadData(body);
    }
  } else if (cmd === "delete") {
    await svc.getContainerClient(args[0]).getBlobClient(args[1]).delete();
  } else if (cmd === "sas") {
    const [name, perms] = args;
    const sas = generateBlobSASQueryParameters(
      {
        containerName: name,
        permissions: ContainerSASPermissions.parse(perms || "racwdl"),
        startsOn: new Date(Date.now() - 5 * 60 * 1000),
        expiresOn: new Date(Date.now() + 60 * 60 * 1000),
      },
      cred,
    );
    console.log(sas.toString());
  } else {
    throw new Error("unknown command " + cmd);
  }
}

main().catch((e) => {
  console.error(String(e && e.message ? e.message : e).split("\n")[0]);
  process.exit(1);
});

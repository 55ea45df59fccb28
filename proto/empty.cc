// Anchors the cofre_proto library.

"""The code of ethics' signatures: the register of who signed which version (``register``) and its pages."""

import os
import tempfile

os.environ.setdefault("AD_COMPILER_CACHE_DIR", tempfile.mkdtemp(prefix="adc_frontend_"))

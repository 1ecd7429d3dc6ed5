import { adapterContract } from './adapter-contract';
import { metaContractRig } from './meta-contract-rig';

adapterContract({ provider: 'instagram', setup: () => metaContractRig('instagram') });
